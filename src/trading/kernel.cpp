#include "trading/kernel.h"

#include <fmt/format.h>

#include <cctype>
#include <limits>
#include <string>

namespace nacre {

Kernel::Kernel(const KernelConfig& config, std::unique_ptr<Clock> clock)
    : config_(config),
      clock_(std::move(clock)),
      loop_(*clock_),
      logger_(*clock_, config.log_sink, config.log_level, config.log_format),
      uuids_(config.seed),
      cache_(config.cache),
      data_engine_(bus_, cache_, *clock_, logger_, config.data_engine),
      exec_engine_(bus_, cache_, *clock_, logger_, uuids_),
      risk_engine_(bus_, cache_, *clock_, logger_, uuids_, config.risk_engine),
      portfolio_(bus_, cache_, *clock_, logger_, uuids_),
      settlement_(bus_, cache_, exec_engine_, *clock_, uuids_, logger_),
      trader_(actor_context(), portfolio_) {
  logger_.set_time_zone(config.log_time_zone);
  bus_.AttachLoop(&loop_);
  exec_engine_.set_trader_id(config.trader_id);
  // Venue tags "N" + the trader's 2-character node id (its last two alphanumerics).
  std::string node;
  for (char c : config.trader_id.value()) {
    if (std::isalnum(static_cast<unsigned char>(c))) node += static_cast<char>(std::toupper(c));
  }
  while (node.size() < 2) node.insert(node.begin(), '0');
  cache_.SetTagPrefix("N" + node.substr(node.size() - 2));
  // A handler that throws stops at the loop's boundary: the error is logged and trading
  // halts until someone looks (never unwinds into another handler).
  risk_engine_.SetInstrumentGate(
      [this](const InstrumentId& id) { return exec_engine_.UnresolvedOn(id); });
  exec_engine_.SetFaultHandler([this](const std::string& why) { HaltOnFault(why); });
  loop_.SetErrorHandler([this](const std::string& what) {
    logger_.Log(LogLevel::kError, "Kernel", fmt::format("handler failed: {}; trading HALTED", what));
    risk_engine_.SetTradingState(TradingState::kHalted, "handler failed: " + what);
  });
  // An OTO child whose parent fills while trading is HALTED is held, not denied, and released
  // when trading is no longer HALTED: after every other subscriber (the kill switch's may halt
  // again at once, for a manual halt waiting), by the state then.
  bus_.Subscribe<RiskStateChanged>(
      topics::kRiskEvents,
      [this](const RiskStateChanged&) {
        exec_engine_.SetTradingHalted(risk_engine_.trading_state() == TradingState::kHalted);
      },
      std::numeric_limits<int>::min());
  // The daily loss limits ([risk.live]) measure the portfolio's total P&L.
  risk_engine_.SetPnlSource([this] { return portfolio_.TotalPnl(); });
}

void Kernel::HaltOnFault(const std::string& why) {
  halt_reason_ = why;
  risk_engine_.SetTradingState(TradingState::kHalted, why);
}

ActorContext Kernel::actor_context() {
  ActorContext ctx;
  ctx.trader_id = config_.trader_id;
  ctx.clock = clock_.get();
  ctx.bus = &bus_;
  ctx.cache = &cache_;
  ctx.logger = &logger_;
  ctx.uuids = &uuids_;
  ctx.market_hours = &market_hours_;
  ctx.data_coverage = &data_coverage_;
  return ctx;
}

void Kernel::SetMarketHours(const MarketHours* hours) {
  market_hours_.hours = hours;
  risk_engine_.SetMarketHours(hours);
}

const char* StartPhaseName(Kernel::StartPhase p) {
  switch (p) {
    case Kernel::StartPhase::kNotStarted: return "not started";
    case Kernel::StartPhase::kEngines: return "engines";
    case Kernel::StartPhase::kConnect: return "connect";
    case Kernel::StartPhase::kReconcile: return "reconcile";
    case Kernel::StartPhase::kPortfolio: return "portfolio";
    case Kernel::StartPhase::kTrader: return "trader";
    case Kernel::StartPhase::kRunning: return "running";
  }
  return "?";
}

Status Kernel::Start() {
  // A start that failed before (or a fault) left trading HALTED; a clean start now lifts that
  // halt, and only that one: a halt set since (another reason on the risk engine, a fault
  // during this start, the kill switch's veto) stays.
  const std::string previous_halt = halt_reason_;
  halt_reason_.clear();
  auto fail = [this](const Status& why) {
    const Status s = why.WithContext(fmt::format("kernel start, {} phase: ", StartPhaseName(phase_)));
    halt_reason_ = s.error();
    logger_.Log(LogLevel::kError, "Kernel", fmt::format("{}; trading HALTED", s.error()));
    risk_engine_.SetTradingState(TradingState::kHalted, s.error());
    return s;
  };
  // Engines restart (Resume) after a backtest Reset; first start goes READY -> RUNNING.
  phase_ = StartPhase::kEngines;
  auto start = [](Component& c) {
    if (c.state() == ComponentState::kStopped) {
      c.Resume();
    } else if (c.state() == ComponentState::kReady) {
      c.Start();
    }
  };
  start(data_engine_);
  start(risk_engine_);
  start(exec_engine_);
  start(portfolio_);

  // Clients connect here. Simulated ones are connected at once; a live node's gate pumps the
  // loop until they are or its timeout passes, so a client still down after it is a failure.
  phase_ = StartPhase::kConnect;
  for (DataClient* c : data_engine_.clients()) c->Connect();
  for (ExecutionClient* c : exec_engine_.clients()) c->Connect();
  if (start_gate_) {
    if (Status s = start_gate_(phase_); !s) return fail(s);
  }
  for (DataClient* c : data_engine_.clients()) {
    if (!c->is_connected()) {
      return fail(MakeError(ErrorCode::kUnavailable,
                            fmt::format("data client {} did not connect", c->id().value())));
    }
  }
  for (ExecutionClient* c : exec_engine_.clients()) {
    if (!c->is_connected()) {
      return fail(MakeError(ErrorCode::kUnavailable,
                            fmt::format("execution client {} (venue {}) did not connect",
                                        c->id().value(), c->venue().value())));
    }
  }

  phase_ = StartPhase::kReconcile;
  if (Status s = exec_engine_.ReconcileAtStart(); !s) return fail(s);

  // Every execution client trades for an account the kernel knows (calculated by the
  // portfolio, or reported by the venue).
  phase_ = StartPhase::kPortfolio;
  if (start_gate_) {
    if (Status s = start_gate_(phase_); !s) return fail(s);
  }
  for (ExecutionClient* c : exec_engine_.clients()) {
    if (cache_.account(c->account_id()) == nullptr) {
      return fail(MakeError(ErrorCode::kFailedPrecondition,
                            fmt::format("no account {} for execution client {}",
                                        c->account_id().value(), c->id().value())));
    }
  }

  // Strategies start as one handler: what they send in on_start runs after every one started.
  phase_ = StartPhase::kTrader;
  if (Status s = trader_.CheckRequirements(); !s) {
    return fail(MakeError(ErrorCode::kFailedPrecondition, s.error()));
  }
  // The halt an earlier attempt of this start imposed is lifted before anything is sent: what
  // the strategies send in on_start is checked as on a first start.
  if (!previous_halt.empty() && risk_engine_.trading_state() == TradingState::kHalted) {
    if (halt_reason_.empty() && risk_engine_.trading_state_reason() == previous_halt) {
      const std::string veto = start_halt_veto_ ? start_halt_veto_() : std::string();
      if (veto.empty()) {
        risk_engine_.SetTradingState(TradingState::kActive, "kernel started");
      } else {
        logger_.Log(LogLevel::kWarning, "Kernel",
                    fmt::format("started; trading stays HALTED: {}", veto));
      }
    } else {
      logger_.Log(LogLevel::kWarning, "Kernel",
                  fmt::format("started; trading stays HALTED ({}): not the halt the last start "
                              "left",
                              risk_engine_.trading_state_reason()));
    }
  }
  if (start_trader_) {
    // A restart's held OTO children, as their parents now stand, before the strategies see
    // them (a released child is checked by the risk engine like any order; a node that only
    // reconciles and stops releases none).
    loop_.Run([this] { exec_engine_.ReassertContingencies(); });
    loop_.Run([this] { trader_.StartAll(); });
  }
  phase_ = StartPhase::kRunning;
  return Status::Ok();
}

void Kernel::Stop() {
  loop_.Run([this] { trader_.StopAll(); });
  portfolio_.Stop();
  exec_engine_.Stop();
  risk_engine_.Stop();
  data_engine_.Stop();
}

}  // namespace nacre
