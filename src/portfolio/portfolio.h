// Portfolio: realized and unrealized P&L, exposure and equity per instrument and per venue,
// computed from the Cache's positions (including snapshots of closed cycles) and marks.
// It also keeps the managed venue accounts' balances (the simulated venues report margin at
// most, never cash): each position event moves the balance by the fill's cash in the
// instrument's style (portfolio/accounting.h): options premium style (−premium for a buy,
// +premium for a sell, settlement at intrinsic is a closing fill), other instruments futures
// style (the change in realized P&L), both net of the fill's charges; it also re-blocks
// maintenance margin for open positions (instrument margin_maint, zero by default).
// It subscribes ahead of strategies, so a strategy's position handler already sees the new
// balance. Kernel thread only.
#pragma once

#include <map>
#include <set>
#include <unordered_map>

#include "common/actor.h"
#include "model/position_events.h"

namespace nacre {

class Portfolio : public Component {
 public:
  Portfolio(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger, UuidGenerator& uuids);
  ~Portfolio() override;

  // Accounts whose balance this portfolio computes from fills. A reported account (the venue
  // reports its balance) is refused with an error: an account is calculated or reported,
  // never both.
  void ManageAccount(const AccountId& id);
  bool manages(const AccountId& id) const { return managed_.count(id) != 0; }

  Money RealizedPnl(const InstrumentId& id) const;
  Money RealizedPnl(const Venue& venue) const;
  Money UnrealizedPnl(const InstrumentId& id) const;
  Money UnrealizedPnl(const Venue& venue) const;
  Money TotalPnl(const Venue& venue) const { return RealizedPnl(venue) + UnrealizedPnl(venue); }
  // Every venue's realized (net of charges) + unrealized P&L.
  Money TotalPnl() const { return SumRealized({}) + SumUnrealized({}); }
  // Sum of |qty| x multiplier x mark over open positions.
  Money NetExposure(const InstrumentId& id) const;
  Money NetExposure(const Venue& venue) const;
  // Signed net quantity across strategies (raw fixed point).
  std::int64_t NetPositionRaw(const InstrumentId& id) const;
  bool IsFlat(const InstrumentId& id) const { return NetPositionRaw(id) == 0; }
  // What the venue's open positions add to the balance in equity: Σ mark value of premium
  // style positions (long +, short −) + Σ unrealized P&L of futures style ones.
  Money OpenValue(const Venue& venue) const;
  // Account balance + OpenValue.
  Money Equity(const Venue& venue) const;
  Money TotalCommissions(const Venue& venue) const;

  void Reset() { booked_.clear(); }

 private:
  void OnPositionEvent(const PositionEvent& e);
  MessageBus::TopicHandle AccountTopic(const AccountId& id);
  Money Unrealized(const Position& p) const;
  Money SumRealized(const OrderQuery& q) const;
  Money SumUnrealized(const OrderQuery& q) const;
  Money SumExposure(const OrderQuery& q) const;

  std::unordered_map<AccountId, MessageBus::TopicHandle, IdHash> account_topics_;
  // What the account was last moved for, per position (this cycle).
  struct Booked {
    Money realized;
    Money commissions;
    std::int64_t signed_qty_raw = 0;
  };

  MessageBus& bus_;
  Cache& cache_;
  Clock& clock_;
  UuidGenerator& uuids_;
  SubscriptionId sub_ = 0;
  std::set<AccountId> managed_;
  std::unordered_map<PositionId, Booked, IdHash> booked_;
};

}  // namespace nacre
