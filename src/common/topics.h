// Topic and endpoint names used across the kernel, built in one place so publishers and
// subscribers always agree.
#pragma once

#include <string>

#include "model/data.h"
#include "model/identifiers.h"

namespace nacre::topics {

inline std::string Quotes(const InstrumentId& id) { return "data.quotes." + id.value(); }
inline std::string Trades(const InstrumentId& id) { return "data.trades." + id.value(); }
inline std::string Bars(const BarType& t) { return "data.bars." + t.ToString(); }
inline std::string InstrumentTopic(const InstrumentId& id) {
  return "data.instrument." + id.value();
}
inline std::string OrderEvents(const StrategyId& id) { return "events.order." + id.value(); }
inline std::string PositionEvents(const StrategyId& id) { return "events.position." + id.value(); }
inline std::string AccountEvents(const AccountId& id) { return "events.account." + id.value(); }
inline std::string SpreadEvents(const StrategyId& id) { return "events.spread." + id.value(); }
inline constexpr const char* kAllSpreadEvents = "events.spread.*";
inline constexpr const char* kAllOrderEvents = "events.order.*";
inline constexpr const char* kAllPositionEvents = "events.position.*";
inline constexpr const char* kAllAccountEvents = "events.account.*";
inline constexpr const char* kRiskEvents = "events.risk";

inline constexpr const char* kDataEngineExecute = "DataEngine.execute";
inline constexpr const char* kRiskEngineExecute = "RiskEngine.execute";
inline constexpr const char* kExecEngineExecute = "ExecEngine.execute";
inline constexpr const char* kExecEngineProcess = "ExecEngine.process";

}  // namespace nacre::topics
