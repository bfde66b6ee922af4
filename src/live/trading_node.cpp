#include "live/trading_node.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/result_files.h"
#include "trading/spread.h"
#include "persistence/journal_codec.h"

namespace nacre {

namespace {

constexpr const char* kSnapshotFormat = "nacre-node-snapshot-1";
// The replay feeders' bound on waiting data items, below the inbox's conflation threshold.
constexpr std::size_t kReplayBacklog = 512;

// Where two saved values part: `a` and `b` from a little before their first difference.
std::pair<std::string, std::string> WhereTheyDiffer(const std::string& a, const std::string& b) {
  std::size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  const std::size_t from = at > 40 ? at - 40 : 0;
  auto cut = [from](const std::string& v) {
    std::string out = from > 0 ? "..." : "";
    out += v.substr(std::min(from, v.size()), 100);
    if (from + 100 < v.size()) out += "...";
    return "\"" + out + "\"";
  };
  return {cut(a), cut(b)};
}

}  // namespace

TradingNode::TradingNode(NodeSettings settings, const KernelConfig& kernel_config)
    : settings_(std::move(settings)) {
  std::unique_ptr<Clock> clock;
  // Speed 0 (replay): practically unpaced (a market day in about 0.1 s of wall time).
  const double pace = settings_.speed > 0 ? settings_.speed : 1e6;
  if (settings_.clock == NodeSettings::ClockMode::kReplay) {
    auto test = std::make_unique<TestClock>(settings_.start);
    replay_clock_ = test.get();
    clock = std::move(test);
    pacing_ = std::make_unique<ScaledClock>(settings_.start, pace);
  } else if (settings_.clock == NodeSettings::ClockMode::kScaled) {
    auto scaled = std::make_unique<ScaledClock>(settings_.start, pace, ScaledClock::Wall{},
                                                settings_.sessions);
    scaled_ = scaled.get();
    clock = std::move(scaled);
  } else {
    clock = std::make_unique<LiveClock>();
  }
  kernel_ = std::make_unique<Kernel>(kernel_config, std::move(clock));
  if (const char* fp = std::getenv("NACRE_FAILPOINT"); fp != nullptr && *fp != '\0') {
    const std::string v(fp);
    const auto colon = v.find(':');
    failpoint_ = v.substr(0, colon);
    failpoint_left_ = colon == std::string::npos ? 1 : std::atoll(v.c_str() + colon + 1);
  }
}

const Clock& TradingNode::ThreadSafeClock() const {
  return pacing_ ? static_cast<const Clock&>(*pacing_) : kernel_->clock();
}

void TradingNode::Failpoint(const char* name) {
  if (failpoint_.empty() || failpoint_ != name) return;
  if (--failpoint_left_ > 0) return;
  std::fprintf(stderr, "nacre: failpoint %s: SIGKILL\n", name);
  std::fflush(stderr);
  ::raise(SIGKILL);
}

TradingNode::~TradingNode() {
  // Adapters' own threads that read the kernel stop before any of it goes (OnTeardown).
  for (const auto& fn : teardown_) fn();
  for (ReplayDataClient* r : replay_) r->Disconnect();
  recorder_.reset();  // unsubscribes before the kernel goes
  // The clients (and their I/O threads, which push to the inbox) go while the inbox is here;
  // what the node owns for them (an adapter's REST client) goes after them. What holds the
  // kernel goes before it.
  control_.reset();
  kill_switch_.reset();
  kernel_.reset();
  owned_.clear();
}

Status TradingNode::AddSandboxVenue(const BacktestVenueConfig& config) {
  auto venue = AttachSimulatedVenue(*kernel_, config, market_hours_.get());
  if (!venue) return MakeError(venue.error());
  venues_.push_back(*venue);
  exchanges_.push_back(*venue);
  return Status::Ok();
}

SimulatedExchange* TradingNode::sandbox_venue(const Venue& venue) {
  for (SimulatedExchange* e : exchanges_) {
    if (e->venue() == venue) return e;
  }
  return nullptr;
}

Status TradingNode::AddExecutionClient(std::unique_ptr<ExecutionClient> client,
                                       AccountType account_type, Money starting_balance) {
  if (kernel_->exec_engine().ClientForVenue(client->venue()) != nullptr) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("venue {} added twice", client->venue().value()));
  }
  const AccountId account = client->account_id();
  const Venue venue = client->venue();
  kernel_->exec_engine().RegisterClient(std::move(client));
  kernel_->cache().AddAccount(
      std::make_unique<Account>(account, account_type, starting_balance, UnixNanos()), venue);
  kernel_->portfolio().ManageAccount(account);
  return Status::Ok();
}

void TradingNode::AddInstrument(const Instrument& instrument) {
  if (kernel_->cache().instrument(instrument.id) != nullptr) return;
  kernel_->cache().AddInstrument(instrument);
  for (MatchingVenue* v : venues_) v->AddInstrument(instrument);
}

void TradingNode::AddReplayClient(ReplayDataConfig config) {
  auto client = std::make_unique<ReplayDataClient>(std::move(config), ThreadSafeClock(), inbox_);
  replay_.push_back(client.get());
  kernel_->data_engine().RegisterClient(std::move(client));
}

void TradingNode::AddDataClient(std::unique_ptr<DataClient> client) {
  kernel_->data_engine().RegisterClient(std::move(client));
}

void TradingNode::SetMarketHours(std::unique_ptr<MarketHours> hours) {
  market_hours_ = std::move(hours);
  kernel_->SetMarketHours(market_hours_.get());
  for (SimulatedExchange* e : exchanges_) e->set_market_hours(market_hours_.get());
}

Status TradingNode::AddStrategy(std::unique_ptr<Strategy> strategy) {
  return kernel_->trader().AddStrategy(std::move(strategy));
}

Status TradingNode::AddActor(std::unique_ptr<Actor> actor) {
  return kernel_->trader().AddActor(std::move(actor));
}

std::string TradingNode::journal_path() const {
  return (std::filesystem::path(settings_.state_dir) / kernel_->config().trader_id.value() /
          "journal.sqlite")
      .string();
}

std::string TradingNode::control_socket_path() const {
  return (std::filesystem::path(settings_.state_dir) / kernel_->config().trader_id.value() /
          "control.sock")
      .string();
}

std::string TradingNode::kill_file_path() const {
  return (std::filesystem::path(settings_.state_dir) / "KILL").string();
}

void TradingNode::RequestStop(const std::string& reason) {
  MarkStop(reason);
  // Wakes a loop waiting on the inbox.
  inbox_.PushExec(ThreadSafeClock().Now(), StopRequested{reason});
}

void TradingNode::MarkStop(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stop_reason_.empty()) stop_reason_ = reason;
  }
  stop_.store(true, std::memory_order_release);
  loop_break_.store(true, std::memory_order_release);
}

// ---- state: journal and sandbox ledger ----

Status TradingNode::OpenState() {
  const std::filesystem::path dir =
      std::filesystem::path(settings_.state_dir) / kernel_->config().trader_id.value();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("state folder {}: {}", dir.string(), ec.message()));
  }
  JournalOptions options;
  options.sync = settings_.journal_sync;
  auto journal = Journal::Open(journal_path(), options);
  if (!journal) return MakeError(journal.error());
  journal_ = std::move(*journal);
  if (exchanges_.empty()) return Status::Ok();  // a live node: the broker keeps the ledger
  auto store = SandboxStateStore::Open((dir / "sandbox_venue.sqlite").string());
  if (!store) return MakeError(store.error());
  venue_store_ = std::move(*store);
  return Status::Ok();
}

Status TradingNode::Recover(NodeRunResult& result) {
  // 1. The sandbox venues' ledgers (the broker's records outlive the node).
  for (SimulatedExchange* e : exchanges_) {
    auto saved = venue_store_->Load(e->venue().value());
    if (!saved) return MakeError(saved.error());
    if (!*saved) continue;
    if (Status s = e->RestoreState(**saved); !s) {
      return MakeError(fmt::format("sandbox venue {} in {}: {}", e->venue().value(),
                                   venue_store_->path(), s.error()));
    }
  }
  // 2. The journal's entries, in order: orders rebuilt, events applied (positions follow).
  UnixNanos last_ts = settings_.start;
  Cache& cache = kernel_->cache();
  ExecutionEngine& exec = kernel_->exec_engine();
  Status replay_error = Status::Ok();
  // Contingencies stay still for the replay only (resumed however it ends).
  std::optional<ExecutionEngine::ContingenciesSuspended> suspended(std::in_place, exec);
  const Status read = journal_->ForEachEntry(0, [&](const StoredEntry& stored) {
    const JournalEntry& e = stored.entry;
    if (e.ts_kernel > last_ts) last_ts = e.ts_kernel;
    ++result.entries_replayed;
    if (IsCommandKind(e.kind)) {
      // The intent record; a submit names the position the order belongs to.
      if (e.kind != "SubmitOrder") return true;
      auto cmd = DecodeCommand(e.kind, e.body);
      if (!cmd) {
        replay_error = MakeError(fmt::format("journal {} entry {}: {}", journal_->path(),
                                             stored.seq, cmd.error()));
        return false;
      }
      const auto& submit = std::get<SubmitOrder>(*cmd);
      Order* o = cache.mutable_order(submit.client_order_id);
      if (o != nullptr && !submit.position_id.empty()) o->set_position_id(submit.position_id);
      // An OTO child's own submit: released by its parent's fill (sent, or about to be).
      if (o != nullptr && !o->parent_order_id().empty()) {
        released_children_.insert(o->client_order_id());
      }
      return true;
    }
    if (!IsOrderEventKind(e.kind)) return true;
    auto ev = DecodeOrderEvent(e.kind, e.body);
    if (!ev) {
      replay_error = MakeError(fmt::format("journal {} entry {}: {}", journal_->path(),
                                           stored.seq, ev.error()));
      return false;
    }
    if (const auto* init = std::get_if<OrderInitialized>(&*ev)) {
      journaled_inits_.insert(init->client_order_id);
      if (!cache.order_exists(init->client_order_id)) {
        if (Status s = cache.AddOrder(std::make_unique<Order>(*init), PositionId(),
                                      /*assign_tag=*/false);
            !s) {
          replay_error = MakeError(fmt::format("journal {} entry {}: {}", journal_->path(),
                                               stored.seq, s.error()));
          return false;
        }
      }
      return true;
    }
    exec.Process(*ev);
    return true;
  });
  suspended.reset();
  if (!read) return MakeError(fmt::format("journal {}: {}", journal_->path(), read.error()));
  if (!replay_error.ok()) return replay_error;
  result.recovered = result.entries_replayed > 0;
  // 3. The strategies' and actors' state as of the last snapshot.
  auto snap = journal_->LatestSnapshot();
  if (!snap) return MakeError(snap.error());
  if (*snap) {
    nlohmann::json j = nlohmann::json::parse((*snap)->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != kSnapshotFormat) {
      return MakeError(fmt::format("journal {}: snapshot at entry {} is not a node snapshot",
                                   journal_->path(), (*snap)->seq));
    }
    const UnixNanos ts(j.value("ts", std::int64_t{0}));
    if (ts > last_ts) last_ts = ts;
    if (j.contains("data")) {
      // {"ts": ns, "seen": {ReplayKey: count}} (SaveSnapshot).
      const nlohmann::json& d = j["data"];
      auto bad = [&](const std::string& why) {
        return MakeError(ErrorCode::kCorruption,
                         fmt::format("journal {}: snapshot at entry {}: data: {}",
                                     journal_->path(), (*snap)->seq, why));
      };
      if (!d.is_object() || !d.contains("ts") || !d["ts"].is_number_integer() ||
          !d.contains("seen") || !d["seen"].is_object()) {
        return bad("not {\"ts\": integer, \"seen\": object}");
      }
      data_ts_ = UnixNanos(d["ts"].get<std::int64_t>());
      for (const auto& [key, n] : d["seen"].items()) {
        if (!n.is_number_unsigned() || n.get<std::uint64_t>() == 0 ||
            n.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
          return bad(fmt::format("seen[\"{}\"] is not a positive count", key));
        }
        data_seen_[key] = n.get<std::uint32_t>();
      }
    }
    auto corrupt = [&](const std::string& why) {
      return MakeError(ErrorCode::kCorruption, fmt::format("journal {}: snapshot at entry {}: {}",
                                                           journal_->path(), (*snap)->seq, why));
    };
    std::map<std::string, SavedState> states;
    if (!j.contains("components") || !j["components"].is_object()) {
      return corrupt("components: not an object");
    }
    for (const auto& [id, state] : j["components"].items()) {
      if (!state.is_object()) return corrupt(fmt::format("components.{}: not an object", id));
      SavedState s;
      for (const auto& [k, v] : state.items()) {
        if (!v.is_string()) return corrupt(fmt::format("components.{}.{}: not a string", id, k));
        s[k] = v.get<std::string>();
      }
      states[id] = std::move(s);
    }
    if (Status s = kernel_->trader().LoadAll(states); !s) {
      return MakeError(s.code(), fmt::format("journal {}: snapshot at entry {}: {}",
                                             journal_->path(), (*snap)->seq, s.error()));
    }
    // Restored exactly: what the components would save now is what was saved (a component
    // that lost or changed state on the way would trade on a state nobody chose).
    if (Status s = CheckRestored(states); !s) {
      return MakeError(ErrorCode::kCorruption,
                       fmt::format("journal {}: snapshot at entry {} not restored exactly: {}",
                                   journal_->path(), (*snap)->seq, s.error()));
    }
    if (j.contains("risk_baseline")) {
      if (!j["risk_baseline"].is_string()) return corrupt("risk_baseline: not a string");
      if (!j.contains("risk_day") || !j["risk_day"].is_number_integer()) {
        return corrupt("risk_day: not an integer");
      }
      auto m = Money::Parse(j["risk_baseline"].get<std::string>());
      if (!m) return corrupt("risk_baseline: " + m.error());
      risk_baseline_ = std::make_pair(j["risk_day"].get<std::int64_t>(), *m);
    }
    if (j.contains("oto_held")) {
      // [{"id": client order id, "must_reduce": bool}] (SaveSnapshot): OTO children held while
      // trading was HALTED, released (or refused) by the start's pass or the resume.
      const nlohmann::json& held = j["oto_held"];
      if (!held.is_array()) return corrupt("oto_held: not an array");
      for (std::size_t i = 0; i < held.size(); ++i) {
        const nlohmann::json& h = held[i];
        if (!h.is_object() || !h.contains("id") || !h["id"].is_string() ||
            h["id"].get<std::string>().empty() || !h.contains("must_reduce") ||
            !h["must_reduce"].is_boolean()) {
          return corrupt(fmt::format(
              "oto_held[{}]: not {{\"id\": order id, \"must_reduce\": bool}}", i));
        }
        kernel_->exec_engine().RestoreHeldWhileHalted(
            {ClientOrderId(h["id"].get<std::string>()), h["must_reduce"].get<bool>()});
      }
    }
    result.recovered = true;
  }
  // No OTO child goes out before the first start has reconciled what was recovered.
  if (result.recovered) kernel_->exec_engine().AwaitFirstStart();
  // 4. Order ids continue past the journal's and what reconciliation adopts: the start gate's
  // portfolio phase (ContinueOrderIds), before any strategy runs.
  resume_at_ = result.recovered ? std::max(last_ts, settings_.start) : settings_.start;
  // The replay resumes at resume_at_ inclusive: what was delivered at that very time before
  // the restart comes again and is passed over (OnData). Another time: nothing to pass over.
  if (data_ts_ == resume_at_) {
    redeliver_ts_ = data_ts_;
    redelivered_ = data_seen_;
  } else {
    data_ts_ = UnixNanos();
    data_seen_.clear();
  }
  return Status::Ok();
}

Status TradingNode::CheckRestored(const std::map<std::string, SavedState>& saved) {
  for (const auto& [id, now] : kernel_->trader().SaveAll()) {
    auto it = saved.find(id);
    if (it == saved.end()) {
      if (now.empty()) continue;
      return MakeError(fmt::format("{} has state the snapshot did not hold", id));
    }
    for (const auto& [key, value] : it->second) {
      auto v = now.find(key);
      if (v == now.end()) return MakeError(fmt::format("{}: \"{}\" was not restored", id, key));
      if (v->second != value) {
        const auto [restored, was] = WhereTheyDiffer(v->second, value);
        return MakeError(
            fmt::format("{}: \"{}\" restored as {} (saved {})", id, key, restored, was));
      }
    }
    for (const auto& [key, value] : now) {
      if (!it->second.count(key)) {
        return MakeError(fmt::format("{}: \"{}\" appeared on restore", id, key));
      }
    }
  }
  return Status::Ok();
}

void TradingNode::ContinueOrderIds() {
  // By the ids' shape, not the owner: reconciliation adopts our orders under its own id.
  const std::vector<const Order*> orders = kernel_->cache().Orders();
  for (const auto& s : kernel_->trader().strategies()) {
    std::uint64_t n = 0;
    for (const Order* o : orders) n = std::max(n, s->IssuedOrderNumber(o->client_order_id()));
    s->ContinueOrderIds(n);
  }
}

std::size_t TradingNode::RejectLostInFlight() {
  // The sandbox venue restarts with its ledger; commands that were travelling to it died with
  // the old process. An order the journal holds as sent (or journaled to be sent) that the
  // ledger never received was therefore never received: rejected, with that reason.
  // A broker's venue (live) outlives us and cannot be asked here: an intent journaled but not
  // known as sent (the process may have died before, during or after the send) is marked
  // SUBMITTED, so reconciliation and the in-flight check look it up at the venue (Kite: by
  // its tag, within the ambiguity window) and adopt it or reject it. Never resent. An OTO
  // child its parent has not released was never sent: left as it is, held.
  std::size_t n = 0;
  std::vector<const Order*> lost;
  std::vector<std::pair<const Order*, AccountId>> unknown;
  for (const Order* o : kernel_->cache().Orders()) {
    if (o->status() != OrderStatus::kInitialized && o->status() != OrderStatus::kSubmitted) {
      continue;
    }
    if (!journaled_inits_.count(o->client_order_id())) continue;
    if (o->status() == OrderStatus::kInitialized && !o->parent_order_id().empty() &&
        !released_children_.count(o->client_order_id())) {
      // An OTO child journaled with its list and still held for its parent's fill: never
      // sent, so nothing to look for. It stays INITIALIZED; the parent's fill (live, or the
      // start's reconciliation) releases it, the parent's end otherwise cancels it.
      continue;
    }
    const SimulatedExchange* venue = sandbox_venue(o->instrument_id().venue());
    if (venue == nullptr) {
      if (o->status() != OrderStatus::kInitialized) continue;
      const ExecutionClient* client =
          kernel_->exec_engine().ClientForVenue(o->instrument_id().venue());
      if (client != nullptr) unknown.emplace_back(o, client->account_id());
      continue;
    }
    if (venue->order(o->client_order_id()) != nullptr) continue;
    lost.push_back(o);
  }
  for (const auto& [o, account] : unknown) {
    OrderSubmitted e;
    static_cast<OrderEventHeader&>(e) = MakeOrderEventHeader(
        *o, kernel_->uuids().Next(), kernel_->clock().Now(), kernel_->clock().Now());
    e.account_id = account;
    kernel_->exec_engine().Process(e);
  }
  for (const Order* o : lost) {
    OrderRejected r;
    static_cast<OrderEventHeader&>(r) = MakeOrderEventHeader(
        *o, kernel_->uuids().Next(), kernel_->clock().Now(), kernel_->clock().Now());
    r.reason =
        "LOST_IN_FLIGHT: the sandbox venue never received the order (the node stopped while it "
        "travelled)";
    kernel_->exec_engine().Process(r);
    ++n;
  }
  return n;
}

Status TradingNode::Append(const JournalEntry& entry) {
  if (journal_failed_) return MakeError(ErrorCode::kUnavailable, "journal failed earlier");
  auto r = journal_->Append(entry);
  if (!r) {
    JournalFailed(MakeError(r.error()));
    return MakeError(r.error());
  }
  if (!r->duplicate) {
    ++pending_entries_;
    ++appended_;
  }
  return Status::Ok();
}

Status TradingNode::RecordInit(const Order& order) {
  if (journaled_inits_.count(order.client_order_id())) return Status::Ok();
  if (Status s = Append(EventEntry(OrderEvent(order.init()), kernel_->clock().Now())); !s) {
    return s;
  }
  journaled_inits_.insert(order.client_order_id());
  if (!order.venue_tag().empty()) {
    if (Status s = journal_->MapTag(order.venue_tag(), order.client_order_id()); !s) {
      JournalFailed(s);
      return s;
    }
  }
  return Status::Ok();
}

Status TradingNode::RecordCommand(const TradingCommand& cmd) {
  std::vector<ClientOrderId> orders;
  if (const auto* submit = std::get_if<SubmitOrder>(&cmd)) orders.push_back(submit->client_order_id);
  if (const auto* list = std::get_if<SubmitOrderList>(&cmd)) orders = list->client_order_ids;
  for (const ClientOrderId& id : orders) {
    if (const Order* o = kernel_->cache().order(id)) {
      if (Status s = RecordInit(*o); !s) return s;
    }
  }
  return Append(CommandEntry(cmd, kernel_->clock().Now()));
}

void TradingNode::RecordEvent(const OrderEvent& event) {
  if (journal_failed_) return;
  const Order* o = kernel_->cache().order(HeaderOf(event).client_order_id);
  if (o != nullptr && !RecordInit(*o).ok()) return;
  if (!Append(EventEntry(event, kernel_->clock().Now())).ok()) return;
  // The tag map holds orders sent with a venue tag; orders the kernel books itself (expiry
  // settlement, reconciliation's external orders) have none.
  if (const auto* accepted = std::get_if<OrderAccepted>(&event);
      accepted != nullptr && o != nullptr && !o->venue_tag().empty()) {
    if (Status s = journal_->SetVenueOrderId(accepted->client_order_id, accepted->venue_order_id);
        !s) {
      JournalFailed(s);
    }
  }
}

Status TradingNode::SaveSnapshot() {
  nlohmann::json j;
  j["format"] = kSnapshotFormat;
  j["ts"] = kernel_->clock().Now().value;
  nlohmann::json components = nlohmann::json::object();
  for (const auto& [id, state] : kernel_->trader().SaveAll()) {
    nlohmann::json s = nlohmann::json::object();
    for (const auto& [k, v] : state) s[k] = v;
    components[id] = std::move(s);
  }
  j["components"] = std::move(components);
  // The data delivered at its latest time, so a restart resuming then sees none of it twice.
  if (!data_ts_.is_zero()) {
    std::map<std::string, std::uint32_t> seen = data_seen_;
    for (const MarketData& d : data_at_ts_) ++seen[ReplayKey(d)];
    j["data"] = {{"ts", data_ts_.value}, {"seen", std::move(seen)}};
  }
  // The daily loss limits' baseline, so a restart the same IST day measures from it.
  if (auto baseline = kernel_->risk_engine().daily_pnl_baseline()) {
    j["risk_day"] = kernel_->risk_engine().loss_day();
    j["risk_baseline"] = baseline->ToString();
  }
  // OTO children held while trading is HALTED, so a restart decides their release as this
  // process would have (a stop-loss child whose position closed meanwhile is not sent).
  const ExecutionEngine& exec = kernel_->exec_engine();
  if (const auto held = exec.HeldWhileHalted(); !held.empty()) {
    nlohmann::json h = nlohmann::json::array();
    for (const ExecutionEngine::HeldChild& c : held) {
      h.push_back({{"id", c.id.value()}, {"must_reduce", c.must_reduce}});
    }
    j["oto_held"] = std::move(h);
  }
  held_saved_ = exec.held_changes();
  auto r = journal_->SaveSnapshot(j.dump());
  if (!r) {
    JournalFailed(MakeError(r.error()));
    return MakeError(r.error());
  }
  return Status::Ok();
}

Status TradingNode::SaveVenues() {
  for (SimulatedExchange* e : exchanges_) {
    if (Status s = venue_store_->Save(e->venue().value(), e->SaveState()); !s) return s;
  }
  return Status::Ok();
}

void TradingNode::JournalFailed(const Status& why) {
  if (journal_failed_) return;
  journal_failed_ = true;
  const std::size_t dropped = kernel_->exec_engine().DropOutbox();
  kernel_->HaltOnFault(fmt::format(
      "journal failed: {}; {} unsent command(s) dropped (not durable)", why.error(), dropped));
}

bool TradingNode::EndIteration() {
  if (journal_failed_) {
    kernel_->exec_engine().DropOutbox();
    return false;
  }
  const bool had_entries = pending_entries_ > 0;
  const bool intents = kernel_->exec_engine().outbox_size() > 0;
  // What is held changed with nothing journaled (a pass over the lists while halted).
  if (kernel_->exec_engine().held_changes() != held_saved_) snapshot_due_ = true;
  if (had_entries || snapshot_due_) {
    // The venue's ledger first: never behind what the journal says it did.
    if (Status s = SaveVenues(); !s) {
      JournalFailed(s);
      return false;
    }
    Failpoint("after_venue_save");
    if (!SaveSnapshot().ok()) return false;
    snapshot_due_ = false;
  }
  if (had_entries) Failpoint("before_commit");
  auto c = journal_->Commit();
  if (!c) {
    JournalFailed(MakeError(c.error()));
    return false;
  }
  if (c->committed) ++commits_;
  pending_entries_ = 0;
  if (intents) Failpoint("after_intent_commit");
  const std::size_t sent = kernel_->exec_engine().ReleaseOutbox();
  if (sent > 0) Failpoint("after_send");
  if (results_due_ && recorder_ && !settings_.results_dir.empty()) {
    results_due_ = false;
    if (Status s = WriteResults(); !s) {
      kernel_->logger().Log(LogLevel::kWarning, "TradingNode",
                            fmt::format("results folder not updated: {}", s.error()));
    }
  }
  if (progress_ && kernel_->clock().Now() - progress_at_ >= 60 * kNanosPerSecond) {
    ReportProgress(false);
  }
  if (settings_.stop_when_data_ends && !replay_.empty()) {
    bool all_done = true;
    for (ReplayDataClient* r : replay_) all_done &= r->finished();
    if (all_done && inbox_.empty()) {
      MarkStop(replay_clock_ != nullptr && settings_.end ? "the configured end time was reached"
                                                         : "the replayed data ran out");
    }
  }
  return sent > 0 || pending_entries_ > 0;
}

void TradingNode::ReportProgress(bool finished) {
  Progress p;
  p.now = kernel_->clock().Now();
  progress_at_ = p.now;
  p.data_items = kernel_->loop().stats().data_events;
  if (settings_.end && *settings_.end > resumed_at_) {
    p.fraction = std::clamp(static_cast<double>(p.now - resumed_at_) /
                                static_cast<double>(*settings_.end - resumed_at_),
                            0.0, 1.0);
  }
  p.finished = finished;
  progress_(p);
}

void TradingNode::OnData(const MarketData& point) {
  if (!replay_.empty()) {
    // Replayed data: what was delivered at its latest time is kept for the snapshot (as items,
    // no text built per item: SaveSnapshot names them).
    const UnixNanos ts = TsInitOf(point);
    if (ts > redeliver_ts_) redelivered_.clear();  // the rest never came (other data now)
    if (ts == redeliver_ts_ && !redelivered_.empty()) {
      // Delivered before the restart at the time it resumed at (its snapshot's `data`): the
      // cache and the venues take its prices again, the venues matching only orders that
      // arrived or were modified since, with what fills took of it before gone (a restored
      // resting order would otherwise take its displayed size again); no
      // strategy or other subscriber sees it twice (a strategy would act on it again).
      if (auto it = redelivered_.find(ReplayKey(point)); it != redelivered_.end()) {
        if (--it->second == 0) redelivered_.erase(it);
        SeeMarketData(venues_, point);
        std::visit(
            [this](const auto& d) {
              using T = std::decay_t<decltype(d)>;
              Cache& cache = kernel_->cache();
              if constexpr (std::is_same_v<T, QuoteTick>) {
                cache.AddQuote(d);
              } else if constexpr (std::is_same_v<T, TradeTick>) {
                cache.AddTrade(d);
              } else {
                cache.AddBar(d);
              }
            },
            point);
        return;
      }
    }
    if (ts > data_ts_) {
      data_ts_ = ts;
      data_seen_.clear();
      data_at_ts_.clear();
    }
    if (ts == data_ts_) data_at_ts_.push_back(point);
  }
  // As in a backtest: the sandbox venues match resting orders against the data first, then the
  // data engine publishes it.
  DeliverMarketData(venues_, kernel_->data_engine(), point);
}

void TradingNode::WireLoop() {
  EventLoop& loop = kernel_->loop();
  loop.SetDataHandler([this](const MarketData& d) { OnData(d); });
  loop.SetExecHandler([this](const ExecItem& item) {
    if (const auto* task = std::get_if<KernelTask>(&item.message)) {
      if (task->run) task->run();
      return;
    }
    const auto* r = std::get_if<ControlRequest>(&item.message);
    if (r == nullptr) return;
    if (r->command == ControlCommand::kReconcile) {
      // Reruns phases that pump the loop themselves: served once this run of the loop ends.
      if (reconcile_request_) {
        ReplyControl(*r, ControlReply(*kill_switch_, r->command,
                                      MakeError(ErrorCode::kFailedPrecondition,
                                                "a reconcile is already waiting to run")));
        return;
      }
      reconcile_request_ = *r;
      loop_break_.store(true, std::memory_order_release);
      return;
    }
    ServeControl(*kill_switch_, *r);
  });
  loop.SetIterationHook([this] {
    const bool more = EndIteration();
    if (stop_.load(std::memory_order_acquire)) loop_break_.store(true, std::memory_order_release);
    if (wait_ready_ != nullptr &&
        ((*wait_ready_)() || std::chrono::steady_clock::now() >= wait_deadline_)) {
      loop_break_.store(true, std::memory_order_release);
    }
    return more;
  });
}

void TradingNode::RunLoop() {
  loop_break_.store(stop_.load(std::memory_order_acquire), std::memory_order_release);
  if (replay_clock_ != nullptr) {
    kernel_->loop().RunReplay(inbox_, &loop_break_);
  } else {
    kernel_->loop().RunLive(inbox_, &loop_break_);
  }
}

bool TradingNode::PumpUntil(const std::function<bool()>& ready, DurationNs timeout) {
  if (ready()) return true;
  wait_ready_ = &ready;
  wait_deadline_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout);
  while (!stop_.load(std::memory_order_acquire) && !ready() &&
         std::chrono::steady_clock::now() < wait_deadline_) {
    RunLoop();
  }
  wait_ready_ = nullptr;
  return ready();
}

namespace {
std::string Seconds(DurationNs d) {
  return d % kNanosPerSecond == 0 ? fmt::format("{} s", d / kNanosPerSecond)
                                  : fmt::format("{:.2f} s", static_cast<double>(d) / 1e9);
}
}  // namespace

Status TradingNode::StartGate(Kernel::StartPhase phase) {
  Kernel& k = *kernel_;
  if (phase == Kernel::StartPhase::kConnect) {
    const std::function<bool()> connected = [&k] {
      for (const DataClient* c : k.data_engine().clients()) {
        if (!c->is_connected()) return false;
      }
      for (const ExecutionClient* c : k.exec_engine().clients()) {
        if (!c->is_connected()) return false;
      }
      return true;
    };
    if (PumpUntil(connected, settings_.connect_timeout)) return Status::Ok();
    std::vector<std::string> down;
    for (const DataClient* c : k.data_engine().clients()) {
      if (c->is_connected()) continue;
      std::string line = fmt::format("data client {}", c->id().value());
      if (const auto* r = dynamic_cast<const ReplayDataClient*>(c); r != nullptr && !r->status().ok()) {
        line += " (" + r->status().error() + ")";
      }
      down.push_back(std::move(line));
    }
    for (const ExecutionClient* c : k.exec_engine().clients()) {
      if (!c->is_connected()) {
        down.push_back(fmt::format("execution client {} (venue {})", c->id().value(),
                                   c->venue().value()));
      }
    }
    if (stop_.load()) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("stopped while waiting for {} to connect", fmt::join(down, ", ")));
    }
    return MakeError(ErrorCode::kTimeout,
                     fmt::format("{} not connected within {} ([node.timeouts] connect_secs)",
                                 fmt::join(down, ", "), Seconds(settings_.connect_timeout)));
  }
  if (phase == Kernel::StartPhase::kPortfolio) {
    // Reconciliation may have adopted orders the journal lacked (the venue went on after the
    // journal's last commit): the strategies' ids continue past those too.
    ContinueOrderIds();
    // Every open position needs a price before the trader starts on it (its P&L, the loss
    // limits, the strategies' exits).
    auto unpriced = [&k] {
      std::vector<std::string> ids;
      for (const Position* p : k.cache().PositionsOpen()) {
        if (!k.cache().MarkPrice(p->instrument_id(), p->side())) {
          ids.push_back(p->instrument_id().value());
        }
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      return ids;
    };
    const std::function<bool()> priced = [&unpriced] { return unpriced().empty(); };
    if (PumpUntil(priced, settings_.portfolio_timeout)) return Status::Ok();
    const std::vector<std::string> missing = unpriced();
    return MakeError(ErrorCode::kTimeout,
                     fmt::format("no price for {} open position instrument(s) within {} "
                                 "([node.timeouts] portfolio_secs): {}",
                                 missing.size(), Seconds(settings_.portfolio_timeout),
                                 fmt::join(missing, ", ")));
  }
  return Status::Ok();
}

Status TradingNode::StartKernel() {
  Status s = kernel_->Start();
  (void)EndIteration();  // what reconciliation and on_start journaled, durable and sent
  return s;
}

void TradingNode::ServeReconcile(NodeRunResult& result) {
  const ControlRequest request = std::move(*reconcile_request_);
  reconcile_request_.reset();
  Result<std::string> done = std::string();
  Kernel& k = *kernel_;
  if (journal_failed_) {
    done = MakeError(ErrorCode::kFailedPrecondition,
                     "the journal failed: the node cannot trade until it is restarted");
  } else if (k.start_phase() == Kernel::StartPhase::kRunning) {
    // Running: the venue's reports against the kernel's state once more.
    const Status s = k.exec_engine().ReconcileAtStart(/*resend_cancels=*/false);
    (void)EndIteration();
    if (s.ok()) {
      done = std::string("reconciled: the node's orders and positions agree with the venue");
    } else {
      k.HaltOnFault("reconciliation found a mismatch: " + s.error());
      done = MakeError(s.code(), s.error() + "; trading HALTED");
    }
  } else {
    result.start_status = StartKernel();
    if (result.start_status.ok()) {
      kill_switch_->CheckKillFile(kill_file_path());
      done = std::string("started: reconciliation and the portfolio checks passed; the trader runs");
    } else {
      done = MakeError(result.start_status.code(), result.start_status.error());
    }
  }
  ReplyControl(request, ControlReply(*kill_switch_, request.command, done));
}

void TradingNode::ScheduleTimers() {
  Clock& clock = kernel_->clock();
  const UnixNanos now = clock.Now();
  if (settings_.snapshot_interval > 0) {
    (void)clock.SetTimer("node.snapshot", settings_.snapshot_interval, now, UnixNanos(),
                         [this](const TimeEvent&) { snapshot_due_ = true; });
  }
  if (settings_.results_interval > 0) {
    (void)clock.SetTimer("node.results", settings_.results_interval, now, UnixNanos(),
                         [this](const TimeEvent&) { results_due_ = true; });
  }
  // The kill file, about once a wall second whatever the clock's speed.
  const double rate = replay_clock_ != nullptr ? pacing_->rate() : clock.rate();
  const auto kill_every = std::clamp<DurationNs>(
      static_cast<DurationNs>(static_cast<double>(kNanosPerSecond) * std::min(rate, 1e6)),
      kNanosPerSecond, 3600 * kNanosPerSecond);
  (void)clock.SetTimer("node.kill_file", kill_every, now, UnixNanos(),
                       [this](const TimeEvent&) { kill_switch_->CheckKillFile(kill_file_path()); });
  if (settings_.end && *settings_.end <= now) {
    // Stopped once started (Run): the clients connect and the node reconciles with the venues
    // first, which is what a start after the session's end is for (a restart after a crash);
    // no strategy starts (none would trade past its end).
    end_passed_at_start_ = true;
    kernel_->SetStartTrader(false);
  } else if (settings_.end) {
    (void)clock.SetTimeAlert("node.end", *settings_.end, [this](const TimeEvent&) {
      MarkStop("the configured end time was reached");
    });
  }
}

Status TradingNode::KeepEarlierResults(bool recovered) {
  // The results of the runs before this restart: their time series (equity, daily P&L, the
  // monitor's) end where this run's begin, so they move to earlier/run-{n}/ rather than being
  // overwritten; the order, fill and position files this run writes cover every run (they
  // come from the journal). A fresh journal: a new session, whose folder starts empty.
  namespace fs = std::filesystem;
  const fs::path dir(settings_.results_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Ok();
  if (!recovered) return PrepareResultsFolder(settings_.results_dir, /*force=*/true);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  }
  if (files.empty()) return Status::Ok();
  int n = 1;
  while (fs::exists(dir / "earlier" / fmt::format("run-{}", n))) ++n;
  const fs::path to = dir / "earlier" / fmt::format("run-{}", n);
  fs::create_directories(to, ec);
  for (const fs::path& f : files) {
    if (!ec) fs::rename(f, to / f.filename(), ec);
  }
  if (ec) {
    return MakeError(ErrorCode::kIo, fmt::format("results folder {}: keeping the earlier run's "
                                                 "files in {}: {}",
                                                 dir.string(), to.string(), ec.message()));
  }
  kernel_->logger().Log(LogLevel::kInfo, "TradingNode",
                        fmt::format("the results before this restart are in {}", to.string()));
  return Status::Ok();
}

Status TradingNode::WriteResults() {
  if (Status s = recorder_->WriteFolder(settings_.results_dir); !s) return s;
  const Trader& trader = kernel_->trader();
  for (const auto& a : trader.actors()) {
    if (const auto* f = dynamic_cast<const ResultFiles*>(a.get())) {
      if (Status s = f->WriteResultFiles(settings_.results_dir); !s) return s;
    }
  }
  for (const auto& s : trader.strategies()) {
    if (const auto* f = dynamic_cast<const ResultFiles*>(s.get())) {
      if (Status st = f->WriteResultFiles(settings_.results_dir); !st) return st;
    }
  }
  return Status::Ok();
}

NodeRunResult TradingNode::Run() {
  NodeRunResult result;
  if (ran_) {
    result.status = MakeError("a node runs once");
    return result;
  }
  ran_ = true;
  if (settings_.environment != "sandbox" && settings_.environment != "live") {
    result.status = MakeError(ErrorCode::kInvalidInput,
                              fmt::format("environment \"{}\": only \"sandbox\" and \"live\"",
                                          settings_.environment));
    return result;
  }
  // 0. The state folder and the journal's lock (a second node on this trader stops here).
  if (Status s = OpenState(); !s) {
    result.status = s;
    return result;
  }
  if (!settings_.results_dir.empty()) recorder_ = std::make_unique<ResultsRecorder>(*kernel_, settings_.results);
  // 1. Recovery (publishing reaches no strategy yet: they start in step 8).
  if (Status s = Recover(result); !s) {
    result.status = s.WithContext("recovery: ");
    return result;
  }
  if (recorder_) {
    if (Status s = KeepEarlierResults(result.recovered); !s) {
      result.status = s;
      return result;
    }
  }
  // The replayed data starts where the clock resumes; the catalogs are opened before the
  // clock is anchored, so the time they take to open is not market time lost.
  for (ReplayDataClient* r : replay_) {
    if (settings_.clock != NodeSettings::ClockMode::kReal) r->SetStart(resume_at_);
    // On the replay clock nothing past the end is dispatched, as in a backtest, and nothing
    // is conflated: the feeder waits for the kernel instead.
    if (replay_clock_ != nullptr && settings_.end) r->SetEnd(*settings_.end);
    if (replay_clock_ != nullptr) r->SetMaxBacklog(kReplayBacklog);
    if (Status s = r->Open(); !s) {
      result.status = s;
      return result;
    }
  }
  if (scaled_ != nullptr) {
    // A clock taken from elsewhere (the emulator's) goes on from when it was read.
    scaled_->Reanchor(resume_at_, resume_at_ == settings_.start ? settings_.start_wall
                                                                : std::nullopt);
  }
  if (replay_clock_ != nullptr) {
    replay_clock_->SetTime(resume_at_);
    pacing_->Reanchor(resume_at_);
  }
  result.resumed_at = kernel_->clock().Now();
  resumed_at_ = progress_at_ = result.resumed_at;
  // The same IST day: the loss limits keep measuring from the day's baseline.
  if (risk_baseline_ && risk_baseline_->first == IstDayNumber(result.resumed_at)) {
    kernel_->risk_engine().SetDailyPnlBaseline(risk_baseline_->second);
  }
  auto run = journal_->BeginRun(result.resumed_at, "nacre", settings_.config_hash);
  if (!run) {
    result.status = MakeError(run.error());
    return result;
  }
  // From here every command is journaled before it leaves and every event as it is applied.
  kernel_->exec_engine().SetWriteAhead(
      {[this](const TradingCommand& c) { return RecordCommand(c); },
       [this](const OrderEvent& e) { RecordEvent(e); }});
  result.lost_in_flight = RejectLostInFlight();
  for (SimulatedExchange* e : exchanges_) e->ReportAccount();
  kill_switch_ = std::make_unique<KillSwitch>(*kernel_);
  kernel_->SetStartHaltVeto([this] { return kill_switch_->StartHaltVeto(); });
  WireLoop();
  {
    ControlServerConfig cc;
    cc.path = control_socket_path();
    // A reconcile reruns the start's waits before it answers.
    cc.reply_timeout = std::max(
        cc.reply_timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::nanoseconds(settings_.portfolio_timeout)) +
                              std::chrono::seconds(5));
    auto server = ControlServer::Start(cc, inbox_, ThreadSafeClock());
    if (server) {
      control_ = std::move(*server);
    } else {
      kernel_->logger().Log(LogLevel::kError, "TradingNode",
                            fmt::format("control socket not started (nacre ctl will not reach "
                                        "this node; the kill file still works): {}",
                                        server.error()));
    }
  }
  // 2-8. Connect (the replay feeders start; the gate waits for every client), reconcile with
  // the venues' reports, the accounts and a price for every open position (the gate waits),
  // then the trader. A client that does not connect stops the node with an error; a later
  // failure leaves trading HALTED with the reason while data flows (`nacre ctl reconcile`
  // retries).
  kernel_->SetStartGate([this](Kernel::StartPhase phase) { return StartGate(phase); });
  ScheduleTimers();
  // A kill file already there halts before the start sends anything (the timer's first look is
  // an interval away).
  kill_switch_->CheckKillFile(kill_file_path());
  result.start_status = StartKernel();
  // Reconciled: a "flatten" kill file that only halted before flattens now, not a timer's
  // interval later. Not on a node started past its end: it stops at once, and its on_stop
  // decides (a flatten begun now would be cut short by the stop's cancels).
  if (result.start_status.ok() && !end_passed_at_start_) {
    kill_switch_->CheckKillFile(kill_file_path());
  }
  if (!result.start_status.ok()) {
    if (kernel_->start_phase() == Kernel::StartPhase::kConnect) {
      result.status = result.start_status;
      MarkStop("a client did not connect: " + result.start_status.error());
    } else if (settings_.exit_on_start_failure) {
      MarkStop("the kernel did not start: " + result.start_status.error());
    }
  }
  if (end_passed_at_start_) {
    RequestStop(fmt::format("the configured end time {} had passed at start",
                            FormatIst(*settings_.end)));
  }
  for (;;) {
    RunLoop();
    if (stop_.load(std::memory_order_acquire)) break;
    if (reconcile_request_) {
      ServeReconcile(result);
      continue;
    }
    if (inbox_.closed() && inbox_.empty()) break;
  }
  if (reconcile_request_) {
    ReplyControl(*reconcile_request_,
                 ControlReply(*kill_switch_, ControlCommand::kReconcile,
                              MakeError(ErrorCode::kUnavailable, "the node is stopping")));
    reconcile_request_.reset();
  }
  if (progress_) ReportProgress(true);
  Shutdown(result);
  result.journal_commits = commits_;
  result.journal_entries = appended_;
  result.data_items = kernel_->loop().stats().data_events;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    result.stop_reason = stop_reason_.empty() ? "stopped" : stop_reason_;
  }
  return result;
}

void TradingNode::ReportAtStop(NodeRunResult& result) {
  Kernel& k = *kernel_;
  for (const auto& s : k.trader().strategies()) {
    for (const SpreadPosition* sp : s->active_spreads()) {
      if (sp->state() == SpreadState::kOpen) continue;  // held, not in flight
      std::vector<std::string> legs;
      for (std::size_t i = 0; i < sp->legs().size(); ++i) {
        const Quantity target = sp->TargetQty(i);
        const std::int64_t open = sp->LegSignedQtyRaw(i);
        legs.push_back(fmt::format("{} {}/{}", sp->legs()[i].instrument.value(),
                                   Quantity::Raw(open < 0 ? -open : open, target.precision()).ToString(),
                                   target.ToString()));
      }
      result.spreads_in_flight.push_back(
          fmt::format("{} {} ({}): {}; saved, resumes after a restart", s->strategy_id().value(),
                      sp->id().value(), ToString(sp->state()), fmt::join(legs, ", ")));
    }
  }
  for (const Position* p : k.cache().PositionsOpen()) {
    result.open_positions.push_back(fmt::format("{} {} {} ({})", p->instrument_id().value(),
                                                ToString(p->side()), p->quantity().ToString(),
                                                p->strategy_id().value()));
  }
  for (const std::string& line : result.spreads_in_flight) {
    k.logger().Log(LogLevel::kWarning, "TradingNode", "spread in flight at stop: " + line);
  }
}

void TradingNode::Shutdown(NodeRunResult& result) {
  Kernel& k = *kernel_;
  // Strategies and actors stop first (their timers are cancelled; they may cancel their own
  // orders), then what still works is cancelled or left, as configured.
  k.loop().Run([&k] { k.trader().StopAll(); });
  const bool cancel = settings_.on_stop != NodeSettings::OnStop::kLeave;
  const bool flatten = settings_.on_stop == NodeSettings::OnStop::kFlatten;
  if (cancel && !journal_failed_) {
    k.loop().Run([this, flatten] {
      if (flatten) {
        const auto r = kill_switch_->Flatten("the node stops (on_stop = \"flatten\")");
        kernel_->logger().Log(r.ok() ? LogLevel::kInfo : LogLevel::kError, "TradingNode",
                              r.ok() ? *r : "flatten at stop: " + r.error());
      } else {
        kill_switch_->CancelWorking();
      }
    });
  }
  // Keep the loop turning (no new data: the feeders stop) until nothing is open or in flight
  // (and a flatten is done), or the wait runs out.
  for (ReplayDataClient* r : replay_) r->Disconnect();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(settings_.stop_wait);
  for (;;) {
    (void)EndIteration();
    const KillSwitch::FlattenPhase fp = kill_switch_->flatten_phase();
    const bool flattening = flatten && fp != KillSwitch::FlattenPhase::kDone &&
                            fp != KillSwitch::FlattenPhase::kIdle;
    const bool busy = k.cache().orders_open_count() > 0 || k.cache().orders_inflight_count() > 0 ||
                      k.exec_engine().outbox_size() > 0 || flattening;
    if (!cancel || !busy || journal_failed_ || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    const UnixNanos due = std::min(k.loop().NextScheduled(), k.clock().NextDue());
    const UnixNanos now = k.clock().Now();
    if (replay_clock_ != nullptr) {
      // No more data moves the simulated clock: it steps to the venue's next delivery (a
      // cancel's latency), or, while a flatten runs, to its next timer (a reprice).
      UnixNanos next = k.loop().NextScheduled();
      if (flattening) next = std::min(next, k.clock().NextDue());
      if (next == UnixNanos(INT64_MAX)) break;
      k.loop().AdvanceTo(next);
      continue;
    }
    if (due > now) {
      const std::int64_t wall = k.clock().WallUntil(due);
      inbox_.WaitUntil(std::chrono::steady_clock::now() +
                       std::chrono::nanoseconds(std::clamp<std::int64_t>(wall, 0, 5'000'000)));
    }
    // A broker's answers (cancels confirmed, fills, an unanswered send looked up) come through
    // the inbox, as while running.
    k.loop().PollLive(inbox_);
  }
  if (control_) control_->Stop();
  ReportAtStop(result);
  k.Stop();
  result.stopped_at = k.clock().Now();
  if (!journal_failed_) {
    snapshot_due_ = true;
    (void)EndIteration();
    if (Status s = journal_->MarkCleanStop(); !s) JournalFailed(s);
  }
  if (recorder_) {
    recorder_->Finish();
    if (Status s = WriteResults(); !s) {
      k.logger().Log(LogLevel::kError, "TradingNode",
                     fmt::format("results folder: {}", s.error()));
      if (result.status.ok()) result.status = s;
    }
  }
  if (journal_failed_ && result.status.ok()) {
    result.status = MakeError(ErrorCode::kUnavailable,
                              fmt::format("the journal failed: {}", journal_->failure().ok()
                                                                        ? std::string("see the log")
                                                                        : journal_->failure().error()));
  }
}

}  // namespace nacre
