// The Zerodha fault drill (kite_fault_drill.h says what it does and checks).
#include "kite_fault_drill.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/zerodha/kite_models.h"
#include "adapters/zerodha/kite_session.h"
#include "adapters/zerodha/kite_status.h"
#include "apps/kite_emulator/config.h"
#include "apps/kite_emulator/runtime.h"
#include "model/order.h"
#include "persistence/journal.h"
#include "persistence/journal_codec.h"

extern char** environ;

namespace nacre::drill {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kApiKey = "drillkey";
constexpr const char* kApiSecret = "drill-api-secret-5f1c9e";
constexpr const char* kTrader = "DRILL-001";
constexpr const char* kOpeningCash = "2000000";
// The synthetic week the runs' days are drawn from (Monday 6 to Friday 10 January 2025).
constexpr int kDays = 5;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A child process: `nacre ARGS…` with stdout and stderr appended to `log`, and
// NACRE_FAILPOINT set when `failpoint` is not empty.
class Child {
 public:
  static Result<Child> Spawn(const std::string& binary, const std::vector<std::string>& args,
                             const fs::path& log, const std::string& failpoint) {
    std::vector<std::string> env_store;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).rfind("NACRE_FAILPOINT=", 0) != 0) env_store.emplace_back(*e);
    }
    if (!failpoint.empty()) env_store.push_back("NACRE_FAILPOINT=" + failpoint);
    std::vector<char*> envp;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_store{binary};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_store) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return MakeError(fmt::format("could not start {}: {}", binary, std::strerror(rc)));
    Child c;
    c.pid_ = pid;
    return c;
  }
  // The exit code (128 + signal when killed by one), or nullopt while it runs.
  std::optional<int> Poll() {
    if (done_) return code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    done_ = true;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }
  int Kill() {
    if (!done_) ::kill(pid_, SIGKILL);
    while (!Poll()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return *code_;
  }

 private:
  pid_t pid_ = 0;
  bool done_ = false;
  std::optional<int> code_;
};

// The fault plan of one run: probability rules on every area the issue names, seeded by the
// run. Probabilities are per matching event (an order placed, a modify, a cancel, an order
// update, a ticker frame, a market item, an order moving through the OMS).
std::string FaultPlanToml(std::uint64_t seed, double scale, int token_expiry_nth) {
  auto p = [scale](double x) { return fmt::format("{:.5f}", std::min(1.0, x * scale)); };
  std::string t = fmt::format("seed = {}\n", seed);
  auto rule = [&t](const std::string& where, const std::string& action, const std::string& trig,
                   const std::string& extra = "") {
    t += fmt::format("[[rule]]\n{}\naction = \"{}\"\n{}\n{}", where, action, trig,
                     extra.empty() ? "" : extra + "\n");
  };
  const std::string place = "route = \"POST /orders/*\"";
  rule(place, "5xx_before", "probability = " + p(0.04));
  rule(place, "5xx_after", "probability = " + p(0.04));
  rule(place, "drop_after", "probability = " + p(0.04));
  rule(place, "429_burst", "probability = " + p(0.03), "delay_ms = 1500");
  rule(place, "stall", "probability = " + p(0.02), "delay_ms = 9000");
  rule(place, "visibility_delay", "probability = " + p(0.04), "delay_ms = 90000");
  for (const char* r : {"route = \"PUT /orders/*\"", "route = \"DELETE /orders/*\""}) {
    rule(r, "5xx_after", "probability = " + p(0.05));
    rule(r, "drop_after", "probability = " + p(0.05));
    rule(r, "5xx_before", "probability = " + p(0.03));
  }
  rule("route = \"GET /orders\"", "403_now", fmt::format("nth = {}", token_expiry_nth));
  rule("route = \"GET /orders*\"", "5xx_before", "probability = " + p(0.02));
  rule("route = \"GET /orders*\"", "429_burst", "probability = " + p(0.005), "delay_ms = 1000");
  const std::string ws = "stream = \"ws\"";
  rule(ws, "delay", "probability = " + p(0.10), "delay_ms = 1500");
  rule(ws, "duplicate", "probability = " + p(0.10));
  rule(ws, "reorder", "probability = " + p(0.10));
  rule(ws, "omit", "probability = " + p(0.10));
  rule(ws, "drop", "probability = " + p(0.004));
  rule(ws, "stall", "probability = " + p(0.002), "delay_ms = 7000");
  rule(ws, "error_frame", "probability = " + p(0.002));
  const std::string market = "stream = \"market\"";
  rule(market, "duplicate_ticks", "probability = " + p(0.004));
  rule(market, "gap", "probability = " + p(0.0002), "seconds = 60");
  rule(market, "stale", "probability = " + p(0.0003), "seconds = 120");
  const std::string oms = "stream = \"oms\"";
  rule(oms, "partial_fills", "probability = " + p(0.25), "trades = 3");
  rule(oms, "cancel_loses_race", "probability = " + p(0.25));
  rule(oms, "reject_rms", "probability = " + p(0.04));
  rule(oms, "stuck_open_pending", "probability = " + p(0.03), "delay_ms = 60000");
  return t;
}

std::string EmulatorToml(const fs::path& catalog, const std::string& start, double speed,
                         const fs::path& faults, std::uint64_t seed) {
  return fmt::format(R"([emulator]
api_key = "{}"
api_secret = "{}"
user_id = "DR0001"
cash = "{}"
seed = {}
catalog = "{}"
start = "{}"
speed = {}
faults = "{}"
)",
                     kApiKey, kApiSecret, kOpeningCash, seed, catalog.string(), start, speed,
                     faults.string());
}

// The options-spread application with parameters that trade often (a spread every few
// minutes: small targets and stops, many entries a day), so a run places many orders.
std::string NodeToml(const fs::path& dir, const std::string& end, std::uint16_t http,
                     std::uint16_t ws) {
  return fmt::format(R"([node]
environment = "live"
state_dir = "{dir}/state"
end = "{end}"
on_stop = "cancel"
stop_wait_secs = 30
[node.timeouts]
connect_secs = 30
portfolio_secs = 10
[output]
dir = "{dir}/results"
[kite]
api_key = "{key}"
base_url = "http://127.0.0.1:{http}"
ticker_url = "ws://127.0.0.1:{ws}"
token_file = "{dir}/kite_session.json"
clock_from_emulator = true
starting_balance = "{cash}"
orders_poll_secs = 1
warmup_bars = 12
chain_days = 8
[engine]
trader_id = "{trader}"
seed = 42
log_level = "INFO"
[calendar]
normal_open = "09:15"
normal_close = "15:30"
[[actors]]
type = "CapitalManager"
id = "CapitalManager"
[actors.params]
initial_capital = "{cash}"
risk_per_trade_pct = 5
max_deployment_pct = 80
[[strategies]]
type = "OptionsSpreadStrategy"
id = "OptionsSpread-DRILL"
[strategies.params]
underlying = "NIFTY 50.NSE"
signal_bar_type = "NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL"
fast_period = 3
slow_period = 8
trend_band_pct = 0.02
short_delta = 0.25
wing_width = 100
min_dte = 0
max_dte = 8
entry_window = ["09:20", "15:10"]
max_concurrent_spreads = 3
max_entries_per_day = 500
entry_edge_ticks = 1
min_credit = 1
max_lots = 3
leg_timeout_secs = 60
max_reprices = 2
max_entry_slippage = 3
profit_target_pct = 3
stop_loss_multiple = 0.1
exit_time = "15:15"
check_interval_secs = 60
)",
                     fmt::arg("dir", dir.string()), fmt::arg("end", end),
                     fmt::arg("key", kApiKey), fmt::arg("http", http), fmt::arg("ws", ws),
                     fmt::arg("cash", kOpeningCash), fmt::arg("trader", kTrader));
}

// One run's findings, added to the totals.
class RunCheck {
 public:
  RunCheck(DrillTotals& totals, int run) : t_(totals), run_(run) {}
  void Problem(int& counter, const std::string& what) {
    ++counter;
    t_.problems.push_back(fmt::format("run {}: {}", run_, what));
  }

  // The journal and the emulator's ledger (see the header for what each count means).
  void Compare(const fs::path& journal_path, const json& ledger,
               const std::map<std::string, InstrumentId>& by_symbol,
               const std::map<InstrumentId, std::int64_t>& multipliers) {
    JournalOptions jo;
    jo.create_if_missing = false;
    auto j = Journal::Open(journal_path.string(), jo);
    if (!j.ok()) return Problem(t_.journal_problems, "journal: " + j.error());
    auto verify = (*j)->Verify();
    if (!verify.ok()) return Problem(t_.journal_problems, "journal verify: " + verify.error());
    if (!verify->ok()) {
      Problem(t_.journal_problems, fmt::format("journal verify: {} problems, first at seq {}: {}",
                                               verify->problems, verify->first_problem_seq,
                                               verify->first_problem));
    }
    // The journal's orders, replayed, and its fills by (exchange order id, trade id).
    std::map<std::string, std::unique_ptr<Order>> orders;
    struct Fill {
      InstrumentId instrument;
      OrderSide side = OrderSide::kBuy;
      Quantity qty;
      Price px;
      Money commission;
    };
    std::map<std::pair<std::string, std::string>, Fill> fills;
    const Status read = (*j)->ForEachEntry(0, [&](const StoredEntry& s) {
      const JournalEntry& e = s.entry;
      if (!IsOrderEventKind(e.kind)) return true;
      auto ev = DecodeOrderEvent(e.kind, e.body);
      if (!ev.ok()) {
        Problem(t_.journal_problems, fmt::format("seq {}: {}", s.seq, ev.error()));
        return true;
      }
      if (const auto* init = std::get_if<OrderInitialized>(&*ev)) {
        orders[e.client_order_id] = std::make_unique<Order>(*init);
        return true;
      }
      auto it = orders.find(e.client_order_id);
      if (it != orders.end()) (void)it->second->Apply(*ev);  // legality: Verify's job
      if (const auto* f = std::get_if<OrderFilled>(&*ev)) {
        const bool fresh =
            fills
                .try_emplace(std::make_pair(std::string(f->venue_order_id.value()),
                                            std::string(f->trade_id.value())),
                             Fill{f->instrument_id, f->order_side, f->last_qty, f->last_px,
                                  f->commission})
                .second;
        if (!fresh) {
          Problem(t_.duplicated, fmt::format("trade {} of order {} journaled twice",
                                             f->trade_id.value(), f->venue_order_id.value()));
        }
      }
      return true;
    });
    if (!read.ok()) Problem(t_.journal_problems, "journal read: " + read.error());

    auto kite_orders = ParseKiteOrders(ledger.at("orders"));
    auto kite_trades = ParseKiteTrades(ledger.at("trades"));
    auto kite_positions = ParseKiteNetPositions(ledger.at("positions"));
    for (const std::string& err : {kite_orders.ok() ? "" : kite_orders.error(),
                                   kite_trades.ok() ? "" : kite_trades.error(),
                                   kite_positions.ok() ? "" : kite_positions.error()}) {
      if (!err.empty()) return Problem(t_.journal_problems, "the emulator's ledger: " + err);
    }
    t_.intents += static_cast<int>(orders.size());
    t_.venue_orders += static_cast<int>(kite_orders->size());
    t_.trades += static_cast<int>(kite_trades->size());

    // Exchange orders by tag: one intent, at most one exchange order.
    std::map<std::string, std::vector<const KiteOrder*>> by_tag;
    for (const KiteOrder& k : *kite_orders) by_tag[k.tag].push_back(&k);
    for (const auto& [tag, list] : by_tag) {
      if (list.size() > 1) {
        Problem(t_.duplicated, fmt::format("tag {} placed {} times", tag, list.size()));
      }
      auto row = tag.empty() ? Result<std::optional<TagRow>>(std::optional<TagRow>())
                             : (*j)->LookupTag(tag);
      if (!row.ok() || !row->has_value() || orders.count((*row)->client_order_id.value()) == 0) {
        Problem(t_.lost, fmt::format("exchange order {} (tag \"{}\", {}) unknown to the journal",
                                     list.front()->order_id, tag, list.front()->status_text));
      }
    }
    // Every journaled order accounted for: on the exchange with the same outcome, or known
    // never to have reached it.
    for (const auto& [cid, o] : orders) {
      auto row = (*j)->LookupClientOrderId(ClientOrderId(cid));
      const std::string tag = row.ok() && row->has_value() ? (*row)->tag : "";
      auto it = tag.empty() ? by_tag.end() : by_tag.find(tag);
      if (it == by_tag.end()) {
        if (o->is_closed() && o->filled_qty().raw() == 0) {
          ++t_.rejected_unsent;
        } else {
          Problem(t_.lost, fmt::format("{} (tag \"{}\") is {} with {} filled in the journal but "
                                       "the exchange never had it",
                                       cid, tag, ToString(o->status()), o->filled_qty().ToString()));
        }
        continue;
      }
      const KiteOrder& k = *it->second.front();
      const bool same_fill = o->filled_qty().raw() == k.filled_quantity * kFixedScale;
      const bool same_state = IsTerminal(k.status) ? o->status() == ToNacreStatus(k.status)
                                                   : !o->is_closed();
      if (!same_fill || !same_state) {
        Problem(t_.lost, fmt::format("{} (tag {}, exchange {}): journal {} filled {}, exchange {} "
                                     "filled {}",
                                     cid, tag, k.order_id, ToString(o->status()),
                                     o->filled_qty().ToString(), k.status_text, k.filled_quantity));
      }
    }
    // Trades: each exactly once in the journal, same size and price; and the reverse.
    std::map<InstrumentId, std::int64_t> exchange_net;
    Money exchange_flows = Money::FromInt(0);
    std::set<std::pair<std::string, std::string>> seen;
    for (const KiteTrade& tr : *kite_trades) {
      auto it = fills.find({tr.order_id, tr.trade_id});
      const auto sym = by_symbol.find(tr.tradingsymbol);
      if (sym == by_symbol.end()) {
        Problem(t_.journal_problems, "unknown contract in the ledger: " + tr.tradingsymbol);
        continue;
      }
      const std::int64_t sign = tr.transaction_type == "BUY" ? 1 : -1;
      exchange_net[sym->second] += sign * tr.quantity;
      const Money notional = Money::Notional(tr.average_price, Quantity::FromInt(tr.quantity),
                                             multipliers.at(sym->second));
      exchange_flows = sign > 0 ? exchange_flows - notional : exchange_flows + notional;
      if (it == fills.end()) {
        Problem(t_.lost, fmt::format("trade {} of exchange order {} ({} {} at {}) not in the "
                                     "journal",
                                     tr.trade_id, tr.order_id, tr.transaction_type, tr.quantity,
                                     tr.average_price.ToString()));
        continue;
      }
      seen.insert(it->first);
      if (it->second.qty.raw() != tr.quantity * kFixedScale ||
          it->second.px.raw() != tr.average_price.raw()) {
        Problem(t_.phantom_fills,
                fmt::format("trade {}: journal {} at {}, exchange {} at {}", tr.trade_id,
                            it->second.qty.ToString(), it->second.px.ToString(), tr.quantity,
                            tr.average_price.ToString()));
      }
    }
    std::map<InstrumentId, std::int64_t> journal_net;
    Money journal_flows = Money::FromInt(0);
    Money journal_charges = Money::FromInt(0);
    for (const auto& [key, f] : fills) {
      if (!seen.count(key)) {
        Problem(t_.phantom_fills, fmt::format("journal fill {} of {} has no exchange trade",
                                              key.second, key.first));
      }
      const std::int64_t units = f.qty.raw() / kFixedScale;
      const std::int64_t sign = f.side == OrderSide::kBuy ? 1 : -1;
      journal_net[f.instrument] += sign * units;
      const auto m = multipliers.find(f.instrument);
      const Money notional =
          Money::Notional(f.px, f.qty, m == multipliers.end() ? 1 : m->second);
      journal_flows = sign > 0 ? journal_flows - notional : journal_flows + notional;
      journal_charges = journal_charges + f.commission;
    }
    // Positions, both ways.
    std::map<InstrumentId, std::int64_t> reported;
    for (const KitePosition& p : *kite_positions) {
      const auto sym = by_symbol.find(p.tradingsymbol);
      if (sym != by_symbol.end() && p.quantity != 0) reported[sym->second] = p.quantity;
    }
    std::set<InstrumentId> contracts;
    for (const auto* m : {&journal_net, &exchange_net, &reported}) {
      for (const auto& [id, q] : *m) contracts.insert(id);
    }
    for (const InstrumentId& id : contracts) {
      const std::int64_t mine = journal_net.count(id) ? journal_net[id] : 0;
      const std::int64_t theirs = reported.count(id) ? reported[id] : 0;
      const std::int64_t traded = exchange_net.count(id) ? exchange_net[id] : 0;
      if (mine != theirs || traded != theirs) {
        Problem(t_.position_mismatches,
                fmt::format("{}: journal net {}, exchange positions {} (its trades sum to {})",
                            id.value(), mine, theirs, traded));
      }
    }
    // Cash: premium flows and charges against the change of the exchange's cash.
    auto cash = KiteAmount(ledger.at("cash"), "cash");
    auto charges = KiteAmount(ledger.at("charges"), "charges");
    auto opening = Money::Parse(kOpeningCash);
    if (!cash.ok() || !charges.ok() || !opening.ok()) {
      return Problem(t_.journal_problems, "the ledger's cash or charges did not parse");
    }
    const Money exchange_change = *cash - *opening;
    const Money journal_change = journal_flows - journal_charges;
    // Charges: Nacre books them per Kite trade; the emulator's exchange per fill of its own,
    // which the OMS may split into several Kite trades (partial_fills), so rounding can part
    // them by a few paise a day. Counted apart; more than 10 paise is a mismatch.
    const std::int64_t paise = (journal_charges - *charges).raw() / (kFixedScale / 100);
    t_.charge_paise_apart += paise < 0 ? -paise : paise;
    const bool charges_close = paise >= -10 && paise <= 10;
    if (journal_flows != exchange_flows || !charges_close ||
        exchange_change != exchange_flows - *charges) {
      Problem(t_.cash_mismatches,
              fmt::format("cash: journal flows {} charges {} (change {}), exchange flows {} "
                          "charges {} (cash change {})",
                          journal_flows.ToString(), journal_charges.ToString(),
                          journal_change.ToString(), exchange_flows.ToString(),
                          charges->ToString(), exchange_change.ToString()));
    }
  }

  // No secret in any file under `dir` but the token file itself.
  void ScanSecrets(const fs::path& where, const fs::path& token_file,
                   const std::vector<std::string>& secrets) {
    std::vector<fs::path> files;
    if (fs::is_regular_file(where)) files.push_back(where);
    if (fs::is_directory(where)) {
      for (const auto& e : fs::recursive_directory_iterator(where)) {
        if (e.is_regular_file() && e.path() != token_file) files.push_back(e.path());
      }
    }
    for (const fs::path& f : files) {
      const std::string text = Slurp(f);
      for (const std::string& s : secrets) {
        if (!s.empty() && text.find(s) != std::string::npos) {
          Problem(t_.secret_leaks, fmt::format("a secret ({}…) in {}", s.substr(0, 3), f.string()));
        }
      }
    }
  }

 private:
  DrillTotals& t_;
  int run_;
};

class Drill {
 public:
  explicit Drill(const DrillOptions& o) : o_(o), rng_(o.seed) {}

  Result<DrillTotals> Run() {
    const double began = WallSeconds();
    fs::create_directories(o_.work);
    if (auto s = MakeCatalog(); !s.ok()) return MakeError(s.error());
    for (int r = 1; r <= o_.max_runs; ++r) {
      const bool enough_runs = r > o_.runs;
      if (enough_runs && (o_.min_faults == 0 || t_.faults_total >= o_.min_faults)) break;
      if (auto s = OneRun(r); !s.ok()) return MakeError(s.error());
    }
    t_.wall_seconds = WallSeconds() - began;
    return t_;
  }

 private:
  Status MakeCatalog() {
    catalog_ = o_.work / "catalog";
    if (fs::exists(catalog_ / "data")) return Status::Ok();  // made by an earlier drill
    const fs::path log = o_.work / "synth.log";
    auto c = Child::Spawn(o_.nacre,
                          {"catalog", "synth", "--out", catalog_.string(), "--config",
                           (o_.source_dir / "examples/nifty_spreads_synth.toml").string(),
                           "--start", "2025-01-06", "--end", "2025-01-10", "--interval", "1",
                           "--strikes", "8", "--expiries", "1"},
                          log, "");
    if (!c.ok()) return MakeError(c.error());
    std::optional<int> rc;
    while (!(rc = c->Poll())) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (*rc != 0) return MakeError("nacre catalog synth failed: " + Slurp(log));
    return Status::Ok();
  }

  // A session at the emulator's virtual now in the token file, as `nacre kite login` leaves it.
  void Login(kite_emu::Runtime& rt, const fs::path& token_file) {
    const kite_emu::EmulatedLogin login = kite_emu::LoginAtNow(rt, kApiKey, kApiSecret, "DR0001");
    secrets_.push_back(login.request_token);
    secrets_.push_back(login.session.access_token);
    (void)WriteKiteSessionFile(token_file.string(), login.session);
  }

  int TokenExpiries(kite_emu::Runtime& rt) {
    int n = 0;
    rt.OnIoThread([&] {
      for (const json& f : rt.faults().Log()) n += f.value("action", "") == "403_now";
    });
    return n;
  }

  // Waits for the child to exit by itself until `deadline` (wall seconds), logging in again
  // after each token expiry the plan fires; kills it at the deadline when `kill` says so.
  int Supervise(Child& c, kite_emu::Runtime& rt, const fs::path& token_file, double deadline,
                bool kill, int& expiries_seen) {
    for (int turn = 0;; ++turn) {
      if (auto rc = c.Poll()) return *rc;
      // The plan's log is copied to be read: every 10th turn (200 ms) is soon enough.
      const int expiries = turn % 10 == 0 ? TokenExpiries(rt) : expiries_seen;
      if (expiries > expiries_seen) {
        expiries_seen = expiries;
        ++t_.relogins;
        Login(rt, token_file);
      }
      if (WallSeconds() >= deadline) {
        if (kill) return c.Kill();
        t_.problems.push_back("a node did not stop by its end time (killed)");
        ++t_.bad_exits;
        c.Kill();
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Status OneRun(int run) {
    const fs::path dir = o_.work / fmt::format("run-{}", run);
    fs::remove_all(dir);
    fs::create_directories(dir);
    const int day = 6 + static_cast<int>((o_.seed + static_cast<std::uint64_t>(run)) % kDays);
    const std::string date = fmt::format("2025-01-{:02}", day);
    const int end_minute = 9 * 60 + 20 + o_.market_minutes;
    const std::string end = fmt::format("{}T{:02}:{:02}", date, end_minute / 60, end_minute % 60);
    // Token expiry once a run, somewhere in its first two thirds (the node reads the order
    // book about once a wall second).
    const int wall_span = static_cast<int>(o_.market_minutes * 60.0 / o_.speed);
    std::uniform_int_distribution<int> expiry_nth(5, std::max(6, wall_span * 2 / 3));
    WriteFile(dir / "faults.toml",
              FaultPlanToml(o_.seed * 1000 + static_cast<std::uint64_t>(run), o_.fault_scale,
                            expiry_nth(rng_)));
    WriteFile(dir / "emulator.toml", EmulatorToml(catalog_, date + "T09:20", o_.speed,
                                                  dir / "faults.toml", o_.seed + run));
    kite_emu::LoadedEmulatorConfig ec;
    try {
      ec = kite_emu::LoadEmulatorConfigFile((dir / "emulator.toml").string());
    } catch (const std::exception& e) {
      return MakeError(std::string("drill emulator config: ") + e.what());
    }
    kite_emu::RuntimeOptions ro;
    ro.log_faults = false;  // counted from the plan's log at the run's end
    kite_emu::Runtime rt(ec, ro);
    if (auto s = rt.Start(); !s.ok()) return MakeError("drill emulator: " + s.error());
    std::map<std::string, InstrumentId> by_symbol;
    std::map<InstrumentId, std::int64_t> multipliers;
    for (const Instrument& i : ec.instruments) {
      // The emulator's tradingsymbol rule (kite_emulator/instruments.cpp).
      by_symbol[i.raw_symbol.value().empty() ? i.id.symbol().value() : i.raw_symbol.value()] = i.id;
      multipliers[i.id] = i.multiplier;
    }
    const fs::path token_file = dir / "kite_session.json";
    Login(rt, token_file);
    WriteFile(dir / "node.toml", NodeToml(dir, end, rt.http_port(), rt.ticker_port()));
    const std::vector<std::string> run_args{"run", "--exit-on-start-failure",
                                            (dir / "node.toml").string()};
    const fs::path log = dir / "node.log";
    const double span = o_.market_minutes * 60.0 / o_.speed;  // wall seconds of the run
    const double run_end = WallSeconds() + span;
    int expiries_seen = 0;
    static constexpr const char* kPoints[] = {"after_intent_commit", "after_send", "before_commit"};
    for (int k = 0; k <= o_.kills; ++k) {
      const bool last = k == o_.kills;
      std::string failpoint;
      if (!last && std::uniform_int_distribution<int>(0, 1)(rng_) == 1) {
        const int point = std::uniform_int_distribution<int>(0, 2)(rng_);
        const int nth = std::uniform_int_distribution<int>(1, point == 2 ? 20 : 3)(rng_);
        failpoint = fmt::format("{}:{}", kPoints[point], nth);
      }
      // A kill lands within the next share of the run's remaining span (a failpoint not
      // reached by then is replaced by a kill from outside).
      const double left = std::max(1.0, run_end - WallSeconds());
      const double share = std::max(1.0, 2.0 * left / (o_.kills - k + 1));
      const double kill_at =
          WallSeconds() + (failpoint.empty()
                               ? std::uniform_real_distribution<double>(0.5, share)(rng_)
                               : 1.5 * share);
      std::ofstream(log, std::ios::app)
          << fmt::format("==== drill: start {} of run {}: {}\n", k + 1, run,
                         last ? std::string("runs to its end")
                              : fmt::format("killed {}in {:.1f} s",
                                            failpoint.empty() ? "" : "at " + failpoint + " or ",
                                            kill_at - WallSeconds()));
      auto c = Child::Spawn(o_.nacre, run_args, log, failpoint);
      if (!c.ok()) return MakeError(c.error());
      ++t_.starts;
      const double deadline = last ? run_end + 90 : kill_at;
      const int rc = Supervise(*c, rt, token_file, deadline, !last, expiries_seen);
      if (rc == 128 + SIGKILL) {
        ++t_.kills;
        // A failpoint kill exits with SIGKILL before the deadline; ours at it.
        if (!failpoint.empty() && WallSeconds() < kill_at) {
          ++t_.failpoint_kills;
        } else {
          ++t_.timed_kills;
        }
      } else if (rc == 3) {
        ++t_.start_failures;
        t_.problems.push_back(fmt::format("run {}: a start found the journal and Kite "
                                          "disagreeing (exit 3; log {})", run, log.string()));
      } else if (rc != 0 && rc != -1) {
        ++t_.bad_exits;
        t_.problems.push_back(fmt::format("run {}: node exit {} (log {})", run, rc, log.string()));
      }
      if (rc == 0 && !last) break;  // the run's end came before this kill
    }
    // The day is over: the plan is cleared and the node started once more, past its end: it
    // recovers, reconciles with the Kite day and stops.
    json fired;
    rt.OnIoThread([&] {
      fired = rt.faults().Log();
      rt.ReplaceFaults(kite_emu::FaultPlan());
    });
    for (const json& f : fired) {
      ++t_.faults[f.value("action", "?")];
      ++t_.faults_total;
    }
    WriteFile(dir / "faults_fired.json", fired.dump(1));  // beside the node's log, to read both
    {
      auto c = Child::Spawn(o_.nacre, run_args, log, "");
      if (!c.ok()) return MakeError(c.error());
      ++t_.starts;
      const int rc = Supervise(*c, rt, token_file, WallSeconds() + 120, false, expiries_seen);
      if (rc == 3) {
        ++t_.start_failures;
        t_.problems.push_back(fmt::format("run {}: the closing start found the journal and Kite "
                                          "disagreeing (log {})", run, log.string()));
      } else if (rc != 0 && rc != -1) {
        ++t_.bad_exits;
        t_.problems.push_back(fmt::format("run {}: closing start exit {} (log {})", run, rc,
                                          log.string()));
      }
    }
    json ledger;
    rt.OnIoThread([&] { ledger = rt.oms()->Ledger(); });
    rt.Stop();
    RunCheck check(t_, run);
    check.Compare(dir / "state" / kTrader / "journal.sqlite", ledger, by_symbol, multipliers);
    // What the node wrote (the emulator's own config beside it holds the app's secret).
    for (const fs::path& p : {dir / "state", dir / "results", log}) {
      check.ScanSecrets(p, token_file, Secrets());
    }
    const std::string text = Slurp(log);
    if (text.find("HALTED") != std::string::npos) ++t_.halts;
    {
      // Reports refused while running (ExecEngine) or at a start (the Reconciler's lines).
      std::istringstream lines(text);
      std::string line, first;
      int refused = 0;
      while (std::getline(lines, line)) {
        if (line.find("[ERROR] ExecEngine: order report:") == std::string::npos &&
            !(line.find("[ERROR] Reconciler: order ") != std::string::npos &&
              line.find("would pass") != std::string::npos)) {
          continue;
        }
        if (refused++ == 0) first = line;
      }
      std::size_t at = 0;
      while ((at = text.find(": reconcile: ", at)) != std::string::npos) {
        const std::size_t eol = text.find('\n', at);
        if (text.substr(at, eol - at).find(" but the position is ") != std::string::npos) {
          ++t_.spread_book_apart;
        }
        at = eol == std::string::npos ? text.size() : eol;
      }
      if (refused > 0) {
        t_.refused_reports += refused;
        t_.problems.push_back(fmt::format("run {}: {} Kite reports refused (first: {})", run,
                                          refused, first));
      }
    }
    if (o_.progress) {
      o_.progress(fmt::format("run {} ({}, {} market minutes): {} faults so far, {} intents, {} "
                              "exchange orders, {} trades, {} problems",
                              run, date, o_.market_minutes, t_.faults_total, t_.intents,
                              t_.venue_orders, t_.trades, t_.problems.size()));
    }
    ++t_.runs;
    return Status::Ok();
  }

  std::vector<std::string> Secrets() const {
    std::vector<std::string> s = secrets_;
    s.emplace_back(kApiSecret);
    return s;
  }

  const DrillOptions& o_;
  std::mt19937_64 rng_;
  DrillTotals t_;
  fs::path catalog_;
  std::vector<std::string> secrets_;
};

}  // namespace

std::string DrillTotals::Report() const {
  std::string out = fmt::format(
      "fault drill: {} runs, {} node starts, {} kills ({} at journal failpoints, {} timed), "
      "{} token expiries (logged in again), {} runs with a halt\n"
      "faults fired: {}",
      runs, starts, kills, failpoint_kills, timed_kills, relogins, halts, faults_total);
  std::string sep = " (";
  for (const auto& [action, n] : faults) {
    out += fmt::format("{}{} {}", sep, action, n);
    sep = ", ";
  }
  if (!faults.empty()) out += ")";
  out += fmt::format(
      "\norders: {} intents journaled, {} exchange orders, {} intents rejected before reaching "
      "the exchange, {} trades\n"
      "lost {}, duplicated {}, phantom fills {}, position mismatches {}, cash mismatches {} "
      "(charges apart by {} paise in all), journal problems {}, secret leaks {}, start failures {}, "
      "bad exits {}, refused reports {}\n"
      "minutes a spread book was apart from its position (logged, not failed): {}\n"
      "wall time {:.0f} s: {}\n",
      intents, venue_orders, rejected_unsent, trades, lost, duplicated, phantom_fills,
      position_mismatches, cash_mismatches, charge_paise_apart, journal_problems, secret_leaks,
      start_failures, bad_exits, refused_reports, spread_book_apart, wall_seconds,
      ok() ? "OK" : "FAILED");
  for (const std::string& p : problems) out += "  " + p + "\n";
  return out;
}

json DrillTotals::ToJson() const {
  return json{{"runs", runs},
              {"starts", starts},
              {"kills", kills},
              {"timed_kills", timed_kills},
              {"failpoint_kills", failpoint_kills},
              {"relogins", relogins},
              {"halts", halts},
              {"faults", faults},
              {"faults_total", faults_total},
              {"intents", intents},
              {"venue_orders", venue_orders},
              {"rejected_unsent", rejected_unsent},
              {"trades", trades},
              {"lost", lost},
              {"duplicated", duplicated},
              {"phantom_fills", phantom_fills},
              {"position_mismatches", position_mismatches},
              {"cash_mismatches", cash_mismatches},
              {"charge_paise_apart", charge_paise_apart},
              {"journal_problems", journal_problems},
              {"secret_leaks", secret_leaks},
              {"start_failures", start_failures},
              {"bad_exits", bad_exits},
              {"refused_reports", refused_reports},
              {"spread_book_apart", spread_book_apart},
              {"problems", problems},
              {"wall_seconds", wall_seconds},
              {"ok", ok()}};
}

Result<DrillTotals> RunDrill(const DrillOptions& options) { return Drill(options).Run(); }

}  // namespace nacre::drill
