// Runs tests/conformance/scenario.json against a Kite emulator with Zerodha's official client.
// Usage: node run.js ROOT_URL API_KEY API_SECRET. Prints one line per step; exits 1 on the
// first step whose result differs from the scenario.
'use strict';
const fs = require('fs');
const path = require('path');
const { KiteConnect, KiteTicker } = require('kiteconnect');

const [root, apiKey, apiSecret, tickerRoot] = process.argv.slice(2);
const scenario = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scenario.json'), 'utf8'));

function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function check(expect, value) {
  for (const [k, want] of Object.entries(expect || {})) {
    const got = get(value, k);
    if (got !== want) throw new Error(`${k}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
}

async function main() {
  const kc = new KiteConnect({ api_key: apiKey, root });
  let requestToken = null;
  let n = 0;
  for (const step of scenario.steps) {
    n += 1;
    const name = `${n} ${step.action}${step.segment ? ' ' + step.segment : ''}${step.exchange ? ' ' + step.exchange : ''}`;
    let result;
    let error = null;
    try {
      switch (step.action) {
        case 'login': {
          // kiteconnect 5.3.0 ignores its login_uri option (getLoginURL always names
          // kite.zerodha.com), so the same URL is built on the emulator's root.
          const url = new URL(kc.getLoginURL());
          const res = await fetch(`${root}${url.pathname}${url.search}`, { redirect: 'manual' });
          const location = res.headers.get('location') || '';
          requestToken = new URL(location).searchParams.get('request_token');
          if (res.status !== 302 || !requestToken) throw new Error(`no redirect with a request token (${res.status} ${location})`);
          result = { request_token: requestToken };
          break;
        }
        case 'generate_session':
        case 'generate_session_again':
          result = await kc.generateSession(requestToken, apiSecret);
          break;
        case 'get_profile':
          result = await kc.getProfile();
          break;
        case 'get_profile_with_token': {
          const other = new KiteConnect({ api_key: apiKey, root, access_token: step.access_token });
          result = await other.getProfile();
          break;
        }
        case 'get_margins':
          result = await kc.getMargins(step.segment);
          break;
        case 'get_instruments': {
          const parsed = (await kc.getInstruments(step.exchange)).filter((r) => r.instrument_token);
          const res = await fetch(`${root}/instruments/${step.exchange}`, {
            headers: { 'X-Kite-Version': '3', Authorization: `token ${apiKey}:${kc.access_token}` },
          });
          const raw = (await res.text()).split('\r\n').slice(1).filter((l) => l.length > 0);
          if (parsed.length === 0 || parsed.length !== raw.length) {
            throw new Error(`${parsed.length} parsed rows, ${raw.length} in the CSV`);
          }
          raw.forEach((line, i) => {
            const cells = line.split(',');
            if (parsed[i].instrument_token !== cells[0] || parsed[i].tradingsymbol !== cells[2]) {
              throw new Error(`row ${i + 1}: parsed ${JSON.stringify(parsed[i])} vs '${line}'`);
            }
          });
          result = parsed[0];
          break;
        }
        case 'ticker_connect': {
          // The ticker is left connected: kiteconnect's KiteTicker exits the process on
          // disconnect(); the runner exits itself at the end.
          const ticker = new KiteTicker({ api_key: apiKey, access_token: kc.access_token, root: tickerRoot });
          await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no connect within 10 s')), 10000);
            ticker.on('connect', () => {
              clearTimeout(timer);
              ticker.subscribe(step.subscribe);
              ticker.setMode(step.mode, step.subscribe);
              resolve();
            });
            ticker.on('error', (e) => reject(new Error(`ticker error: ${e && e.message ? e.message : e}`)));
            ticker.connect();
          });
          // The subscription as the emulator holds it (its control plane).
          let held = null;
          for (let i = 0; i < 100 && !held; i += 1) {
            const res = await fetch(`${root}/__emu/subscriptions`);
            const subs = (await res.json()).data;
            held = subs.find((c) => c.tokens[String(step.subscribe[0])] === step.mode) || null;
            if (!held) await new Promise((r) => setTimeout(r, 50));
          }
          if (!held) throw new Error('the emulator does not hold the subscription');
          result = held;
          break;
        }
        case 'burst': {
          // Kite allows 10 requests a second on these routes: a burst of more must be refused.
          const settled = await Promise.allSettled(
            Array.from({ length: step.requests }, () => kc.getProfile()));
          const refused = settled.filter((r) => r.status === 'rejected');
          await new Promise((r) => setTimeout(r, 1100));  // the documented refill, not a guess
          if (refused.length === 0) throw new Error(`all ${step.requests} requests were served`);
          throw refused[0].reason;
        }
        case 'invalidate_access_token':
          result = await kc.invalidateAccessToken();
          break;
        default:
          throw new Error(`unknown action ${step.action}`);
      }
    } catch (e) {
      error = e;
    }
    if (step.expect_error) {
      const type = error && (error.error_type || (error.data && error.data.error_type));
      if (type !== step.expect_error) {
        console.log(`FAIL ${name}: expected ${step.expect_error}, got ${error ? JSON.stringify(error) : 'success ' + JSON.stringify(result)}`);
        process.exit(1);
      }
      console.log(`ok ${name}: ${type}`);
      continue;
    }
    if (error) {
      console.log(`FAIL ${name}: ${error.message || JSON.stringify(error)}`);
      process.exit(1);
    }
    try {
      check(step.expect, result);
    } catch (e) {
      console.log(`FAIL ${name}: ${e.message}`);
      process.exit(1);
    }
    console.log(`ok ${name}`);
  }
  console.log(`conformance: ${n} steps passed with kiteconnect ${require('kiteconnect/package.json').version}`);
  process.exit(0);  // the ticker stays connected; KiteTicker's disconnect() would exit(1)
}

main().catch((e) => {
  console.log(`FAIL ${e.stack || e}`);
  process.exit(1);
});
