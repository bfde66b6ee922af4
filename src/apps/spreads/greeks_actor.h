// GreeksActor: per-contract implied vols and greeks, the forward, the ATM strike and the smile
// of an underlying's option chains, computed from quotes alone (no venue-supplied greeks).
// Every `interval` it takes the latest quotes of the listed contracts of the nearest
// `expiries` expiries from the cache, runs pricing::AnalyzeChain per expiry (forward from
// put-call parity near the money, IV from the out-of-the-money side, Black-76 greeks) and
// publishes one ChainGreeks per expiry on topic "data.greeks.{underlying}". Doubles: a model,
// not money. Kernel thread only.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "common/actor.h"
#include "common/config.h"
#include "common/params.h"
#include "pricing/chain.h"

namespace nacre {

struct GreeksActorConfig {
  InstrumentId underlying;
  std::uint32_t expiries = 2;
  DurationNs interval = kNanosPerMinute;
  double rate = 0.065;
  // Quotes older than this are ignored (a stale quote would bend the smile).
  DurationNs max_quote_age = 5 * kNanosPerMinute;
};

struct ContractGreeks {
  InstrumentId instrument;
  OptionKind kind = OptionKind::kCall;
  Price strike;
  double iv = 0;  // NaN when the strike could not be inverted
  pricing::Greeks greeks;
};

struct ChainGreeks {
  UnixNanos ts;
  InstrumentId underlying;
  UnixNanos expiry;
  double t_years = 0;
  double forward = 0;
  Price atm_strike;
  double atm_iv = 0;
  std::vector<ContractGreeks> contracts;  // by strike, call then put
  const ContractGreeks* Find(const InstrumentId& id) const;
};

class GreeksActor final : public Actor {
 public:
  GreeksActor(std::string id, GreeksActorConfig config);
  // Its parameters (checked by the registry before FromParams runs, and documented).
  static ParamSchema Schema();
  static std::unique_ptr<Actor> FromParams(const std::string& id, const Params& params);
  // FromParams on `table` checked against Schema().
  static std::unique_ptr<Actor> FromConfig(const std::string& id, const ConfigTable& table);
  static std::string Topic(const InstrumentId& underlying) {
    return "data.greeks." + underlying.value();
  }

  // Computes and publishes now (the timer calls it); returns how many chains were published.
  std::size_t ComputeNow();
  // The latest chains, nearest expiry first.
  const std::vector<ChainGreeks>& latest() const { return latest_; }
  const ContractGreeks* Find(const InstrumentId& id) const;

 protected:
  void OnStart() override;
  void OnTimer(const TimeEvent& event) override;
  void OnReset() override { latest_.clear(); }

 private:
  GreeksActorConfig config_;
  std::vector<ChainGreeks> latest_;
  std::string topic_;
};

}  // namespace nacre
