// The Zerodha adapter in a live TradingNode (LIVE.md §3-§7, issue 15): `nacre run` on a
// config with [node] environment = "live" and a [kite] table (KiteSchema, kite_session.h)
// instead of [[exec_clients]] / [[data_clients]]. RegisterKiteLiveAdapter() registers it with
// the node config loader (live/node_config.h); the CLI calls it at start.
//
// Before the node is made (prepare):
//   - the real-money guard: a base_url or ticker_url that is not 127.0.0.1 (Zerodha's own
//     servers) is refused unless allow_real_money = true, and only on the real clock;
//   - clock_from_emulator: the node's clock is scaled from the Kite emulator's virtual clock
//     (/__emu/clock: its time and speed), so market hours, DAY expiry, option expiry and the
//     06:00 token expiry agree at any speed (loopback only).
// Attach, still before anything runs (a problem is a ConfigError naming [kite] and the key):
//   - the session from the token file (`nacre kite login`; refused when missing, loose or
//     expired on the node's clock);
//   - one KiteRestClient for the node (owned by it, shared by the clients);
//   - Kite's instruments dump → the underlying's index, options and futures
//     (KiteInstrumentMap), each cross-checked against Nacre's NSE rules (mismatches printed);
//   - the KiteExecutionClient with the account (starting cash from [kite] starting_balance or
//     Kite's /user/margins) and the ZerodhaDataClient (the ticker; its order messages go to
//     the execution client).
// While running (kernel thread), once a second: the instrument map is refreshed once per IST
// day from 08:30 on the node's clock (the dump read and built on a REST lane; new listings
// added, contracts gone from the dump dropped unless held, which are kept and reported); a
// ticker reconnect reconciles the Kite day (KiteReconnectWatch); the execution client reports
// the account from /user/margins and polls net positions against the kernel's books
// (KernelKiteBooks: a persisting difference halts). The clients' alerts and the ticker's
// notices go to the log;
// a 403 TokenException halts trading (the kill switch, with the reason) and the token file is
// watched; a new login's session is given to both clients, the Kite day is reconciled, and a
// clean reconciliation resumes trading (a mismatch keeps it halted, saying why).
#pragma once

namespace nacre {

void RegisterKiteLiveAdapter();

}  // namespace nacre
