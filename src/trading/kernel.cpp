#include "trading/kernel.h"

namespace nacre {

Kernel::Kernel(const KernelConfig& config, std::unique_ptr<Clock> clock)
    : config_(config),
      clock_(std::move(clock)),
      logger_(*clock_, config.log_sink, config.log_level, config.log_format),
      uuids_(config.seed),
      cache_(config.cache),
      data_engine_(bus_, cache_, *clock_, logger_, config.data_engine),
      exec_engine_(bus_, cache_, *clock_, logger_, uuids_),
      risk_engine_(bus_, cache_, *clock_, logger_, uuids_, config.risk_engine),
      portfolio_(bus_, cache_, *clock_, logger_, uuids_),
      trader_(actor_context(), portfolio_) {}

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
  trader_.StartAll();
}

void Kernel::Stop() {
  trader_.StopAll();
  portfolio_.Stop();
  exec_engine_.Stop();
  risk_engine_.Stop();
  data_engine_.Stop();
}

}  // namespace nacre
