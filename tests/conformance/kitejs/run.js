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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits for `cond` (checked every 20 ms), at most 10 s; throws `what` after.
async function until(cond, what) {
  for (let i = 0; i < 500; i += 1) {
    if (await cond()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function emu(pathAndQuery) {
  const res = await fetch(`${root}/__emu/${pathAndQuery}`);
  const body = await res.json();
  if (res.status !== 200) throw new Error(`/__emu/${pathAndQuery}: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

// Compares a tick KiteTicker decoded with the one the emulator says it sent (epoch seconds
// for times: JS gives Dates, or null for 0).
function sameTick(js, sent, where) {
  for (const [k, want] of Object.entries(sent)) {
    const got = js[k];
    if (k === 'last_trade_time' || k === 'exchange_timestamp') {
      const secs = got ? got.getTime() / 1000 : 0;
      if (secs !== want) throw new Error(`${where}.${k}: decoded ${secs}, sent ${want}`);
    } else if (k === 'depth') {
      for (const side of ['buy', 'sell']) {
        want[side].forEach((level, i) => sameTick(got[side][i], level, `${where}.depth.${side}[${i}]`));
      }
    } else if (typeof want === 'object' && want !== null) {
      sameTick(got, want, `${where}.${k}`);
    } else if (got !== want) {
      throw new Error(`${where}.${k}: decoded ${JSON.stringify(got)}, sent ${JSON.stringify(want)}`);
    }
  }
}

async function main() {
  const kc = new KiteConnect({ api_key: apiKey, root });
  let requestToken = null;
  let nfoRows = [];
  let ticker = null;
  const subs = {};        // mode -> tokens, resubscribed on every connect
  const lastTick = {};    // token -> latest decoded tick
  const tickCount = {};   // token -> ticks decoded
  let connects = 0;
  // "NFO#k" is the k-th NFO row; "EXCH:SYMBOL" stays.
  const key = (name) => {
    const m = /^NFO#(\d+)$/.exec(name);
    if (!m) return name;
    const row = nfoRows[Number(m[1])];
    if (!row) throw new Error(`${name}: run the NFO instruments step first`);
    return `NFO:${row.tradingsymbol}`;
  };
  const tokenOf = (name) => {
    if (name === 'NSE:NIFTY 50') return 256265;
    const m = /^NFO#(\d+)$/.exec(name);
    return Number(nfoRows[Number(m[1])].instrument_token);
  };
  // Steps the paused replay and waits for a tick of every subscribed token the step released
  // (the emulator's answer lists them). Returns those tokens.
  const stepAndWait = async (seconds) => {
    const subscribed = new Set(Object.values(subs).flat());
    const before = { ...tickCount };
    const answer = await emu(`step?seconds=${seconds}`);
    const released = answer.tokens.filter((t) => subscribed.has(t));
    await until(() => released.every((t) => (tickCount[t] || 0) > (before[t] || 0)),
      `ticks of ${released.join(', ')}`);
    return released;
  };
  // Steps until every subscribed token has ticked at least once (at most 24 steps).
  const stepUntilAllTicked = async (seconds) => {
    const all = Object.values(subs).flat();
    const ticked = new Set();
    for (let i = 0; i < 24 && ticked.size < all.length; i += 1) {
      (await stepAndWait(seconds)).forEach((t) => ticked.add(t));
    }
    const missing = all.filter((t) => !ticked.has(t));
    if (missing.length) throw new Error(`no ticks of ${missing.join(', ')} in 24 steps`);
  };
  // Order params of the scenario made concrete: NFO#k symbols, "Nlot(s)" quantities in the
  // row's lot size, prices relative to the touch the ticker last showed ("bid-1.00", "ask"), or its last price ("ltp").
  const rowOf = (name) => nfoRows[Number(/^NFO#(\d+)$/.exec(name)[1])];
  const lots = (text, row) => Number(/^(\d+)lots?$/.exec(text)[1]) * Number(row.lot_size);
  const priceOf = (text, row) => {
    const t = lastTick[Number(row.instrument_token)];
    if (text === 'ltp') return t.last_price;
    const m = /^(bid|ask)([+-]\d+(\.\d+)?)?$/.exec(String(text));
    if (!m) return Number(text);
    const side = m[1] === 'bid' ? t.depth.buy[0] : t.depth.sell[0];
    const paise = Math.round(side.price * 100) + Math.round(Number(m[2] || 0) * 100);
    return paise / 100;
  };
  const concrete = (params) => {
    const out = { ...params };
    const name = params.tradingsymbol;
    const row = /^NFO#/.test(name) ? rowOf(name) : null;
    if (row) out.tradingsymbol = row.tradingsymbol;
    if (row && typeof params.quantity === 'string') out.quantity = lots(params.quantity, row);
    if (row && params.price !== undefined) out.price = priceOf(params.price, row);
    return out;
  };
  const saved = {};    // save_as -> { order_id, row, params }
  const updates = [];  // order updates from the ticker, in arrival order
  const held = async () => {
    const conns = await emu('subscriptions');
    return conns.some((c) => Object.entries(subs).every(([mode, tokens]) =>
      tokens.every((t) => c.tokens[String(t)] === mode)));
  };
  let n = 0;
  for (const step of scenario.steps) {
    n += 1;
    const name = `${n} ${step.action}${step.segment ? ' ' + step.segment : ''}${step.exchange ? ' ' + step.exchange : ''}${step.order ? ' ' + step.order : ''}${step.save_as ? ' ' + step.save_as : ''}`;
    let result;
    let error = null;
    // A 429 means the request was not processed (Kite's rate limit): a client waits for the
    // next second and sends it again, as the runner does once per step (the burst step
    // expects the 429 itself).
    for (let attempt = 0; attempt < 2; attempt += 1) {
    error = null;
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
          if (step.exchange === 'NFO') nfoRows = parsed;
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
          subs[step.mode] = step.subscribe.slice();
          ticker = new KiteTicker({ api_key: apiKey, access_token: kc.access_token, root: tickerRoot });
          ticker.on('order_update', (o) => updates.push(o));
          ticker.on('ticks', (ticks) => ticks.forEach((t) => {
            lastTick[t.instrument_token] = t;
            tickCount[t.instrument_token] = (tickCount[t.instrument_token] || 0) + 1;
          }));
          // The JS client does not resubscribe after a reconnect: its connect handler must.
          ticker.on('connect', () => {
            connects += 1;
            for (const [mode, tokens] of Object.entries(subs)) {
              ticker.subscribe(tokens);
              ticker.setMode(mode, tokens);
            }
          });
          ticker.connect();
          await until(() => connects === 1, 'the ticker to connect');
          // The subscription as the emulator holds it (its control plane).
          await until(held, 'the emulator to hold the subscription');
          result = (await emu('subscriptions'))[0];
          break;
        }
        case 'select_quoted': {
          await sleep(1100);  // Kite allows one quote request a second
          const names = nfoRows.map((r) => `NFO:${r.tradingsymbol}`);
          const ltp = await kc.getLTP(names.slice(0, 1000));
          nfoRows = nfoRows.filter((r) => ltp[`NFO:${r.tradingsymbol}`]);
          if (nfoRows.length < 3) throw new Error(`only ${nfoRows.length} NFO rows quoted`);
          result = { quoted: nfoRows.length };
          break;
        }
        case 'ticker_modes': {
          for (const mode of ['full', 'quote', 'ltp']) {
            const tokens = (step[mode] || []).map(tokenOf);
            subs[mode] = tokens;
            ticker.subscribe(tokens);
            ticker.setMode(mode, tokens);
          }
          await until(held, 'the emulator to hold every mode');
          await stepUntilAllTicked(step.step_seconds);
          const sent = await emu('ticks');
          const checked = [];
          for (const [mode, tokens] of Object.entries(subs)) {
            for (const t of tokens) {
              const js = lastTick[t];
              if (js.mode !== mode) throw new Error(`${t}: decoded mode ${js.mode}, subscribed ${mode}`);
              sameTick(js, sent[String(t)][mode], `tick ${t} ${mode}`);
              checked.push(`${t} ${mode}`);
            }
          }
          result = { checked };
          break;
        }
        case 'get_quote':
        case 'get_ohlc':
        case 'get_ltp': {
          await sleep(1100);  // Kite allows one quote request a second
          if (!Array.isArray(step.instruments)) {
            const many = nfoRows.slice(0, 501).map((r) => `NFO:${r.tradingsymbol}`);
            while (many.length < 501) many.push(`NFO:X${many.length}`);
            result = await kc.getQuote(many);
            break;
          }
          const names = step.instruments.map(key);
          const call = { get_quote: 'getQuote', get_ohlc: 'getOHLC', get_ltp: 'getLTP' }[step.action];
          const data = await kc[call](names);
          step.instruments.forEach((name, i) => {
            const q = data[names[i]];
            const t = lastTick[tokenOf(name)];
            if (!q) throw new Error(`${names[i]} missing from the answer`);
            if (q.instrument_token !== t.instrument_token) throw new Error(`${names[i]}: token ${q.instrument_token} vs tick ${t.instrument_token}`);
            if (q.last_price !== t.last_price) throw new Error(`${names[i]}: last_price ${q.last_price} vs tick ${t.last_price}`);
            if (q.ohlc) sameTick(q.ohlc, t.ohlc, `${names[i]}.ohlc`);
            if (q.depth && t.depth && t.tradable) {
              sameTick(q.depth.buy[0], t.depth.buy[0], `${names[i]}.depth.buy[0]`);
              sameTick(q.depth.sell[0], t.depth.sell[0], `${names[i]}.depth.sell[0]`);
            }
          });
          result = data;
          break;
        }
        case 'get_historical': {
          const token = tokenOf(step.instrument);
          const parsed = await kc.getHistoricalData(token, step.interval, step.from, step.to, false, false);
          const q = new URLSearchParams({ from: step.from, to: step.to });
          const res = await fetch(`${root}/instruments/historical/${token}/${step.interval}?${q}`, {
            headers: { 'X-Kite-Version': '3', Authorization: `token ${apiKey}:${kc.access_token}` },
          });
          const raw = (await res.json()).data.candles;
          if (parsed.length === 0 || parsed.length !== raw.length) {
            throw new Error(`${parsed.length} parsed candles, ${raw.length} in the answer`);
          }
          raw.forEach((c, i) => {
            const p = parsed[i];
            const fields = [p.date.getTime() === new Date(c[0]).getTime(), p.open === c[1], p.high === c[2],
              p.low === c[3], p.close === c[4], p.volume === c[5]];
            if (fields.includes(false)) throw new Error(`candle ${i}: parsed ${JSON.stringify(p)} vs ${JSON.stringify(c)}`);
          });
          // The last candle's close is the contract's last price, on the 0.05 grid or its
          // mid: within half a tick of what the ticker sent.
          const last = parsed[parsed.length - 1];
          if (Math.abs(last.close - lastTick[token].last_price) > 0.0251) {
            throw new Error(`last close ${last.close} vs ticker ${lastTick[token].last_price}`);
          }
          result = { candles: parsed.length };
          break;
        }
        case 'place_order': {
          const params = concrete(step.params);
          const out = await kc.placeOrder('regular', params);
          if (!/^\d{19}$/.test(out.order_id)) throw new Error(`order id ${out.order_id} is not 19 digits`);
          if (step.save_as) {
            saved[step.save_as] = { order_id: out.order_id, row: rowOf(step.params.tradingsymbol), params };
          }
          result = out;
          break;
        }
        case 'modify_order': {
          const o = saved[step.order];
          const params = concrete({ ...step.params, tradingsymbol: step.params.tradingsymbol || `NFO#${nfoRows.indexOf(o.row)}` });
          delete params.tradingsymbol;
          result = await kc.modifyOrder('regular', o.order_id, params);
          break;
        }
        case 'cancel_order':
          result = await kc.cancelOrder('regular', saved[step.order].order_id);
          break;
        case 'emulator_step':
          result = await emu(`step?seconds=${step.seconds}`);
          break;
        case 'expect_order': {
          const o = saved[step.order];
          const history = await kc.getOrderHistory(o.order_id);
          const statuses = history.map((h) => h.status);
          const last = history[history.length - 1];
          if (last.status !== step.status) throw new Error(`status ${last.status}, history ${statuses.join(' > ')}`);
          // The expected statuses appear in this order (other rows may come between).
          let at = 0;
          for (const s of statuses) if (at < (step.history || []).length && s === step.history[at]) at += 1;
          if (at < (step.history || []).length) throw new Error(`history ${statuses.join(' > ')} lacks ${step.history.slice(at).join(' > ')}`);
          if (step.average_price !== undefined) {
            const want = priceOf(step.average_price, o.row);
            if (last.average_price !== want) throw new Error(`average_price ${last.average_price}, the touch was ${want}`);
          }
          if (step.update) {
            await until(() => updates.some((u) => u.order_id === o.order_id && u.status === step.update),
              `an order update ${step.update} of ${o.order_id}`);
          }
          result = { statuses, updates: updates.filter((u) => u.order_id === o.order_id).map((u) => u.status) };
          break;
        }
        case 'get_order_trades': {
          const o = saved[step.order];
          const trades = await kc.getOrderTrades(o.order_id);
          if (trades.length !== step.expect_count) throw new Error(`${trades.length} trades`);
          const want = priceOf(step.price, o.row);
          if (trades.some((t) => t.average_price !== want || t.order_id !== o.order_id)) {
            throw new Error(`trades ${JSON.stringify(trades)} not at ${want}`);
          }
          result = { trades: trades.length };
          break;
        }
        case 'get_trades': {
          const o = saved[step.order];
          const trades = await kc.getTrades();
          if (!trades.some((t) => t.order_id === o.order_id)) throw new Error(`no trade of ${o.order_id} in /trades`);
          result = { trades: trades.length };
          break;
        }
        case 'get_positions': {
          const row = rowOf(step.instrument);
          const want = lots(step.quantity, row);
          const pos = await kc.getPositions();
          const p = pos.net.find((x) => x.tradingsymbol === row.tradingsymbol);
          const got = p ? p.quantity : 0;
          if (got !== want) throw new Error(`net quantity ${got}, expected ${want}`);
          if (!pos.day.find((x) => x.tradingsymbol === row.tradingsymbol)) throw new Error('absent from day positions');
          result = p;
          break;
        }
        case 'order_margins': {
          const m = await kc.orderMargins([concrete(step.params)], 'compact');
          if (!Array.isArray(m) || m.length !== 1 || !(m[0].total > 0)) throw new Error(`margins ${JSON.stringify(m)}`);
          result = m[0];
          break;
        }
        case 'basket_margins': {
          const b = await kc.orderBasketMargins(step.orders.map(concrete), true, 'compact');
          if (!(b.initial.total > 0) || !(b.final.total <= b.initial.total)) {
            throw new Error(`initial ${b.initial.total}, final ${b.final.total}`);
          }
          result = { initial: b.initial.total, final: b.final.total };
          break;
        }
        case 'ticker_reconnect': {
          const before = connects;
          const dropped = await emu('drop_ws');
          if (dropped.dropped < 1) throw new Error('the emulator dropped no connection');
          await until(() => connects > before, 'KiteTicker to reconnect');
          await until(held, 'the emulator to hold the resubscribed tokens');
          await stepUntilAllTicked(step.step_seconds);
          result = { reconnects: connects - before };
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
        case 'load_faults': {
          const res = await fetch(`${root}/__emu/faults`, { method: 'POST', body: JSON.stringify(step.plan) });
          const body = await res.json();
          if (res.status !== 200) throw new Error(`faults: ${res.status} ${JSON.stringify(body)}`);
          result = body.data.plan;
          break;
        }
        case 'find_by_tag': {
          const orders = (await kc.getOrders()).filter((o) => o.tag === step.tag);
          const ledger = (await emu('ledger')).orders.filter((o) => o.tag === step.tag);
          if (orders.length !== step.count || ledger.length !== step.count) {
            throw new Error(`${orders.length} orders tagged ${step.tag} in /orders, ${ledger.length} in the ledger`);
          }
          const log = (await emu('faults')).log;
          if (!log.some((f) => f.action === '5xx_after')) throw new Error('the fault is not in the log');
          result = { order_id: orders[0].order_id, status: orders[0].status };
          break;
        }
        case 'renew_access_token':
          result = await kc.renewAccessToken(step.refresh_token, apiSecret);
          break;
        case 'invalidate_access_token':
          result = await kc.invalidateAccessToken();
          break;
        default:
          throw new Error(`unknown action ${step.action}`);
      }
    } catch (e) {
      error = e;
    }
    const limited = error && error.error_type === 'NetworkException' && /too many requests/i.test(error.message || '');
    if (!limited || step.action === 'burst' || step.expect_error === 'NetworkException') break;
    await sleep(1100);
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
