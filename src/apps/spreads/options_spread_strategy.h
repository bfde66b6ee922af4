// OptionsSpreadStrategy: NIFTY weekly credit spreads, written once for backtest, sandbox and
// live. A trend signal on the underlying's signal bars (fast vs slow SMA of closes) chooses
// the spread: up -> bull put, down -> bear call, neither -> iron condor (each can be disabled).
// Inside the IST entry window, with room under max_concurrent, it plans the spread (expiry by
// days to expiry, short strike by delta or points, wing by width; SpreadPlanner), sizes it with
// the CapitalManager (bus request; capital per lot = the margin model's margin for one lot) and
// submits it as one spread order at mid minus an edge with re-pricing. Every check_interval it
// tests each open spread for exits (ExitManager): profit target (% of credit), stop loss
// (multiple of credit, or the underlying crossing a short strike) and the time exit on expiry
// day; a spread still held at the close of expiry is settled by the venue. PositionTracker
// keeps per-spread metadata and reconciles spread legs against the strategy's positions.
#pragma once

#include <deque>
#include <map>
#include <unordered_map>
#include <memory>

#include "apps/spreads/spread_planner.h"
#include "trading/registry.h"
#include "trading/strategy.h"

namespace nacre {

struct OptionsSpreadConfig {
  BarType signal_bar_type;
  int fast_period = 5;
  int slow_period = 20;
  Price trend_band_pct = Price::Raw(kFixedScale / 10, 1);  // 0.1%: |fast−slow| below is neutral
  std::vector<SpreadKind> kinds = {SpreadKind::kBullPut, SpreadKind::kBearCall,
                                   SpreadKind::kIronCondor};
  EntryRules entry;
  int entry_start_min = 9 * 60 + 30;  // IST minutes after midnight
  int entry_end_min = 14 * 60 + 30;
  int max_concurrent = 1;
  int max_entries_per_day = 1;
  std::uint32_t max_lots = 10;
  SpreadExecPolicy exec;
  std::int64_t profit_target_pct = 50;                        // of the entry credit
  Price stop_loss_multiple = Price::Raw(2 * kFixedScale, 0);  // loss ≥ this × credit
  bool stop_on_short_strike_cross = true;
  int exit_time_min = 15 * 60 + 15;  // on expiry day
  DurationNs check_interval = kNanosPerMinute;
};

// What the strategy remembers about each spread it opened.
struct SpreadMeta {
  SpreadKind kind = SpreadKind::kBullPut;
  UnixNanos expiry;
  std::vector<Price> short_strikes;  // put first for a condor
  Money margin;                      // blocked for sizing
  bool exit_requested = false;
  std::string exit_reason;
};

// Exit rules for one open spread, as a pure function of its book and the market.
class ExitManager {
 public:
  explicit ExitManager(const OptionsSpreadConfig& c) : c_(c) {}
  // Cost to close the whole spread now at the touch (buy shorts at the ask, sell wings at
  // the bid); empty when a leg has no quote.
  static std::optional<Money> CostToClose(const SpreadPosition& sp, const Cache& cache);
  // The reason to exit now, or empty.
  std::optional<std::string> Check(const SpreadPosition& sp, const SpreadMeta& meta,
                                   const Cache& cache, UnixNanos now,
                                   std::optional<Price> underlying) const;

 private:
  const OptionsSpreadConfig& c_;
};

class PositionTracker {
 public:
  void Track(const SpreadId& id, SpreadMeta meta) { meta_[id] = std::move(meta); }
  SpreadMeta* Find(const SpreadId& id);
  void Forget(const SpreadId& id) { meta_.erase(id); }
  int EntriesOn(const CivilDate& day) const;
  void CountEntry(const CivilDate& day) { ++entries_[day]; }
  // The tracked spreads and entry counts as text lines, and back (a node restart); a bad
  // line is an error naming it, and nothing is changed.
  std::string Save() const;
  Status Load(const std::string& text);
  void Clear() {
    meta_.clear();
    entries_.clear();
  }
  // Checks that the open legs of `spreads` add up to the strategy's netting positions in the
  // cache, instrument by instrument; returns one message per mismatch.
  std::vector<std::string> Reconcile(const std::vector<const SpreadPosition*>& spreads,
                                     const Cache& cache, const StrategyId& strategy);

 private:
  std::map<SpreadId, SpreadMeta> meta_;
  std::map<CivilDate, int> entries_;
  // Each leg's netting position id for `position_ids_of_`, built once (Reconcile runs on
  // every check).
  StrategyId position_ids_of_;
  std::unordered_map<InstrumentId, PositionId, IdHash> position_ids_;
};

class OptionsSpreadStrategy final : public Strategy {
 public:
  // `margin` sizes trades; NseSpanMarginModel when null.
  OptionsSpreadStrategy(const StrategyId& id, OptionsSpreadConfig config,
                        std::unique_ptr<SpreadMarginModel> margin = nullptr);
  // Its parameters (checked by the registry before FromParams runs, and documented).
  static ParamSchema Schema();
  static std::unique_ptr<Strategy> FromParams(const StrategyId& id, const Params& params);
  // FromParams on `table` checked against Schema().
  static std::unique_ptr<Strategy> FromConfig(const StrategyId& id, const ConfigTable& table);
  // Sizing needs the CapitalManager actor: without it the strategy would never trade.
  Status CheckRequirements() const override;

  const OptionsSpreadConfig& config() const { return config_; }
  // -1 down, 0 neutral or warming up, +1 up.
  int Trend() const;
  std::uint64_t reconcile_errors() const { return reconcile_errors_; }
  std::vector<std::string> decisions() const { return {decisions_.begin(), decisions_.end()}; }

 protected:
  void OnStart() override;
  void OnBar(const Bar& bar) override;
  void OnTimer(const TimeEvent& event) override;
  void OnSpreadEvent(const SpreadEvent& event) override;
  void OnReset() override;
  // The signal's closes and the tracker (the spread books themselves are the executor's).
  SavedState OnSave() override;
  void OnLoad(const SavedState& state) override;

 private:
  void Check();
  void TryEnter(UnixNanos now);
  void Note(std::string text);
  std::optional<Price> UnderlyingPrice() const;

  OptionsSpreadConfig config_;
  SpreadPlanner planner_;
  std::unique_ptr<SpreadMarginModel> margin_;
  ExitManager exits_;
  PositionTracker tracker_;
  std::deque<std::int64_t> closes_;
  Int128 fast_sum_ = 0;
  Int128 slow_sum_ = 0;
  std::deque<std::string> decisions_;  // the last decisions, for tests and the log
  std::uint64_t reconcile_errors_ = 0;
};

void RegisterOptionsSpreadStrategy(ComponentRegistry& registry);

}  // namespace nacre
