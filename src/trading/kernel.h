// Kernel: assembles one trading system: clock, logger, UUID source, message bus, cache,
// data/risk/execution engines, portfolio and trader. BacktestEngine builds it with a
// TestClock and simulated venues; the live TradingNode builds the same kernel with a
// LiveClock and real or sandbox clients. Members are declared in dependency order so they
// are destroyed in reverse (the trader's actors unsubscribe before the bus goes away).
// Kernel thread only.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>

#include "common/cache.h"
#include "common/clock.h"
#include "common/event_loop.h"
#include "common/logger.h"
#include "common/message_bus.h"
#include "data/data_engine.h"
#include "execution/execution_engine.h"
#include "execution/expiry_settlement.h"
#include "portfolio/portfolio.h"
#include "risk/risk_engine.h"
#include "trading/trader.h"

namespace nacre {

struct KernelConfig {
  TraderId trader_id{"TRADER-001"};
  std::uint64_t seed = 42;  // UUIDs and any seeded model
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  LogTimeZone log_time_zone = LogTimeZone::kIst;
  std::FILE* log_sink = stderr;
  CacheConfig cache;
  DataEngineConfig data_engine;
  RiskEngineConfig risk_engine;
};

class Kernel {
 public:
  Kernel(const KernelConfig& config, std::unique_ptr<Clock> clock);
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const KernelConfig& config() const { return config_; }
  Clock& clock() { return *clock_; }
  EventLoop& loop() { return loop_; }
  Logger& logger() { return logger_; }
  UuidGenerator& uuids() { return uuids_; }
  MessageBus& bus() { return bus_; }
  Cache& cache() { return cache_; }
  DataEngine& data_engine() { return data_engine_; }
  ExecutionEngine& exec_engine() { return exec_engine_; }
  RiskEngine& risk_engine() { return risk_engine_; }
  Portfolio& portfolio() { return portfolio_; }
  ExpirySettlement& settlement() { return settlement_; }
  Trader& trader() { return trader_; }
  // Trading hours for the risk engine and for actors (MarketClosedReason); not owned.
  void SetMarketHours(const MarketHours* hours);
  // What data the run holds, for components' start checks (common/data_coverage.h); not
  // owned; nullptr: unknown.
  void SetDataCoverage(const DataCoverage* coverage) { data_coverage_.coverage = coverage; }
  ActorContext actor_context();

  // Phased start (docs/architecture.md "Kernel start"): engines, connect the data and
  // execution clients, reconcile, check every execution client has its account, then start
  // the trader. A failed phase leaves trading HALTED with the reason (halt_reason()), the
  // engines running (data keeps flowing) and the trader not started; the Status names the
  // phase and carries the failure's ErrorCode. A kernel that was stopped resumes.
  Status Start();
  void Stop();
  enum class StartPhase : std::uint8_t {
    kNotStarted, kEngines, kConnect, kReconcile, kPortfolio, kTrader, kRunning
  };
  StartPhase start_phase() const { return phase_; }
  // A live node's waits inside Start (LIVE.md §5): called after the clients' Connect() calls
  // (kConnect) and before the portfolio's check (kPortfolio); the gate pumps the event loop
  // until what the phase needs has come (clients connected, marks for open positions) or its
  // timeout passes, and returns the failure that fails the phase. A backtest has none.
  using StartGate = std::function<Status(StartPhase)>;
  void SetStartGate(StartGate gate) { start_gate_ = std::move(gate); }
  // false: Start() connects, reconciles and checks the portfolio but starts no strategy (a
  // live node started after its end time: it brings its books up to date and stops).
  void SetStartTrader(bool start) { start_trader_ = start; }
  // Asked before a start lifts the halt an earlier attempt (or a fault) left: a non-empty answer
  // keeps trading HALTED, and is logged (the kill switch: a halt an operator or the kill file
  // asked for while that halt stood, which it could not set then).
  void SetStartHaltVeto(std::function<std::string()> veto) { start_halt_veto_ = std::move(veto); }
  const std::string& halt_reason() const { return halt_reason_; }
  // A fault the node cannot trade through (a journal error, an execution-engine fault):
  // trading HALTED with `why` as halt_reason(). A manual resume (the kill switch) is refused
  // while it stands; only a clean Start lifts it.
  void HaltOnFault(const std::string& why);

 private:
  KernelConfig config_;
  std::unique_ptr<Clock> clock_;
  MarketHoursSlot market_hours_;
  DataCoverageSlot data_coverage_;
  EventLoop loop_;
  Logger logger_;
  UuidGenerator uuids_;
  MessageBus bus_;
  Cache cache_;
  DataEngine data_engine_;
  ExecutionEngine exec_engine_;
  RiskEngine risk_engine_;
  Portfolio portfolio_;
  ExpirySettlement settlement_;
  Trader trader_;
  StartPhase phase_ = StartPhase::kNotStarted;
  StartGate start_gate_;
  std::function<std::string()> start_halt_veto_;
  bool start_trader_ = true;
  std::string halt_reason_;
};

const char* StartPhaseName(Kernel::StartPhase p);

}  // namespace nacre
