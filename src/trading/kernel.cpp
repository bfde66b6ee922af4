#include "trading/kernel.h"

#include <fmt/format.h>

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
      trader_(actor_context(), portfolio_) {
  bus_.AttachLoop(&loop_);
  // A handler that throws stops at the loop's boundary: the error is logged and trading
  // halts until someone looks (never unwinds into another handler).
  loop_.SetErrorHandler([this](const std::string& what) {
    logger_.Log(LogLevel::kError, "Kernel", fmt::format("handler failed: {}; trading HALTED", what));
    risk_engine_.SetTradingState(TradingState::kHalted);
  });
}

ActorContext Kernel::actor_context() {
  ActorContext ctx;
  ctx.trader_id = config_.trader_id;
  ctx.clock = clock_.get();
  ctx.bus = &bus_;
  ctx.cache = &cache_;
  ctx.logger = &logger_;
  ctx.uuids = &uuids_;
  return ctx;
}

void Kernel::Start() {
  // Engines restart (Resume) after a backtest Reset; first start goes READY -> RUNNING.
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
  // Strategies start as one handler: what they send in on_start runs after every one started.
  loop_.Run([this] { trader_.StartAll(); });
}

void Kernel::Stop() {
  loop_.Run([this] { trader_.StopAll(); });
  portfolio_.Stop();
  exec_engine_.Stop();
  risk_engine_.Stop();
  data_engine_.Stop();
}

}  // namespace nacre
