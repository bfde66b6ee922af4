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
  data_engine_.Start();
  risk_engine_.Start();
  exec_engine_.Start();
  portfolio_.Start();
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
