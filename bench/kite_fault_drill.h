// The Zerodha fault drill (issue 15 item 8, LIVE.md §10 and §12): the options-spread
// application trades live (`nacre run`, environment "live", the Zerodha adapter) against the
// Kite emulator while the emulator's fault plan fires (ticker drops and stalls, 429 bursts,
// 5xx before and after processing, answers dropped after an order was placed, order updates
// delayed / duplicated / reordered / omitted, orders hidden from the book, partial fills, fills
// racing cancels, RMS rejections, token expiry), and the node is killed with SIGKILL at random
// moments (a wall-time kill from outside, or NACRE_FAILPOINT at the journal's seams) and
// restarted with --exit-on-start-failure.
//
// One *run* is one Kite day: an emulator (in this process, on 127.0.0.1, free ports) on a
// synthetic catalog written once by `nacre catalog synth`, replaying `market_minutes` of one
// trading day from 09:20 IST at `speed`, with its own seeded fault plan and a fresh node state
// folder. The node is started `kills + 1` times: killed each time but the last, which runs to
// its end time and stops (working orders cancelled). The plan is then cleared and the node
// started once more (its end time passed: it recovers from the journal, reconciles with the
// Kite day and stops), which is what a user does after a bad day. Then the run is checked
// against the emulator's ledger (the test oracle), independently of the node's own
// reconciliation:
//   - the journal verifies (gapless, every fill once, legal order histories);
//   - duplicated: an intent (a journaled order's venue tag) with more than one exchange order;
//   - lost: an exchange order whose tag the journal does not know, a journaled order that
//     reached the exchange whose final state or filled quantity differs from the exchange's,
//     or one still open in the journal that the exchange never had; a trade the journal lacks;
//   - phantom fills: a journaled fill the exchange has no trade for (or a different size/price);
//   - positions: the journal's net quantity per contract equal to the exchange's;
//   - cash: the journal's premium flows equal to the exchange's, its charges within 10 paise
//     of the exchange's (see charge_paise_apart) and the exchange's cash their sum;
//   - secrets: no access token, request token or API secret in any file the node wrote (its
//     state folder apart from the token file, results, logs).
// Token expiry is handled as a user would: when the plan fires 403_now, the drill logs in
// again (a new session in the token file), which the halted node picks up.
//
// Used by bench/kite_fault_drill_run.cpp (the long drill: its command line prints the totals)
// and tests/live/kite_fault_drill_test.cpp (a bounded run in CI).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace nacre::drill {

struct DrillOptions {
  std::string nacre;                  // the nacre binary (`nacre run`, `nacre catalog synth`)
  std::filesystem::path source_dir;   // the checkout (examples/nifty_spreads_synth.toml)
  std::filesystem::path work;         // scratch folder (created; the caller removes it)
  int runs = 1;                       // Kite days
  int kills = 3;                      // SIGKILLs per run
  int market_minutes = 60;            // replayed per run, from 09:20 IST
  double speed = 60;                  // the emulator's clock rate
  std::uint64_t seed = 1;             // kills, failpoints, fault plans, days
  double fault_scale = 1.0;           // multiplies every fault rule's probability
  // Goes on with more runs until this many faults fired (0: just `runs`), at most max_runs.
  int min_faults = 0;
  int max_runs = 1000;
  std::function<void(const std::string&)> progress;  // one line per run; may be empty
};

struct DrillTotals {
  int runs = 0;
  int starts = 0;           // node processes started
  int kills = 0;            // killed with SIGKILL (timed + failpoint)
  int timed_kills = 0;
  int failpoint_kills = 0;
  int start_failures = 0;   // exit 3: a start that found the journal and Kite disagreeing
  int bad_exits = 0;        // any exit other than 0, 3 or a kill
  int relogins = 0;         // token expiries the drill logged in again after
  int halts = 0;            // runs in which the node halted trading ("HALTED" in its log)
  std::map<std::string, int> faults;  // fired, by action
  int faults_total = 0;
  int intents = 0;          // orders the node journaled
  int venue_orders = 0;     // orders in the emulator's ledgers
  int rejected_unsent = 0;  // intents rejected without an exchange order (not lost: known)
  int trades = 0;           // exchange trades
  int lost = 0;
  int duplicated = 0;
  int phantom_fills = 0;
  int position_mismatches = 0;
  int cash_mismatches = 0;
  std::int64_t charge_paise_apart = 0;  // |Nacre's charges − the exchange's|, summed over days
  int journal_problems = 0;
  int secret_leaks = 0;
  // Kite's reports the node could not apply (a fill past the order's filled quantity, a
  // filled quantity behind ours): "order report:" errors in the node's log.
  int refused_reports = 0;
  // The strategy's minutes with its spread books apart from the portfolio's positions
  // ("spreads hold … but the position is …" in the node's log): reported, not failed (an
  // unwind in flight over an ambiguity window shows so for a while).
  int spread_book_apart = 0;
  std::vector<std::string> problems;  // each one named: run, order, figures
  double wall_seconds = 0;

  bool ok() const {
    return lost == 0 && duplicated == 0 && phantom_fills == 0 && position_mismatches == 0 &&
           cash_mismatches == 0 && journal_problems == 0 && secret_leaks == 0 &&
           start_failures == 0 && bad_exits == 0 && refused_reports == 0;
  }
  std::string Report() const;
  nlohmann::json ToJson() const;
};

// Runs the drill. An error is a drill that could not run (no catalog, an emulator that did not
// start); what the drill finds wrong is in the totals.
Result<DrillTotals> RunDrill(const DrillOptions& options);

}  // namespace nacre::drill
