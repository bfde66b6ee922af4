// The fault plan: each trigger (nth, every, probability), count limits, determinism with the
// seed, route/stream/match/call-site filters, one fault per event, the log and counters, the
// JSON round trip, and validation errors naming the file, line and key.
#include "apps/kite_emulator/faults.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace nacre::kite_emu {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const UnixNanos kT0 = FromIst(2026, 1, 5, 9, 15);

FaultPlan Plan(std::string_view toml) {
  auto p = FaultPlan::FromToml(toml, "faults.toml");
  EXPECT_TRUE(p.ok()) << p.error();
  return p.ok() ? std::move(p).value() : FaultPlan();
}

std::string Error(std::string_view toml) {
  auto p = FaultPlan::FromToml(toml, "faults.toml");
  EXPECT_FALSE(p.ok()) << toml;
  return p.ok() ? std::string() : p.error();
}

TEST(FaultPlan, TheLiveMdExampleFiresOnTheThirdPlaceOnly) {
  FaultPlan plan = Plan(R"(
[[rule]]
route = "POST /orders/regular"
action = "drop_after"
nth = 3
)");
  std::vector<int> fired;
  EXPECT_FALSE(plan.Check(FaultArea::kHttp, "GET /orders", "", kT0));  // not counted
  for (int i = 1; i <= 6; ++i) {
    auto f = plan.Check(FaultArea::kHttp, "POST /orders/regular", "NIFTY26106240000CE", kT0);
    if (f) {
      fired.push_back(i);
      EXPECT_EQ(f->action, FaultAction::kDropAfter);
      EXPECT_EQ(f->rule, 0u);
    }
  }
  EXPECT_EQ(fired, std::vector<int>({3}));
  EXPECT_EQ(plan.Counters(), json::parse(R"([{"rule":0,"matched":6,"fired":1}])"));
  // Streams never match route rules.
  EXPECT_FALSE(plan.Check(FaultArea::kWs, "ws", "", kT0));
}

TEST(FaultPlan, EveryFiresOnMultiplesUpToCountWithTheActionsParameters) {
  FaultPlan plan = Plan(R"(
[[rule]]
stream = "ws"
action = "delay"
every = 2
count = 2
delay_ms = 500
)");
  std::vector<int> fired;
  for (int i = 1; i <= 8; ++i) {
    if (auto f = plan.Check(FaultArea::kWs, "ws", "order", kT0)) {
      fired.push_back(i);
      EXPECT_EQ(f->delay_ms, 500);
      EXPECT_EQ(f->status, 0);
    }
  }
  EXPECT_EQ(fired, std::vector<int>({2, 4}));
}

TEST(FaultPlan, DefaultsApplyWhenAParameterIsNotGiven) {
  FaultPlan plan = Plan(R"(
[[rule]]
route = "GET /quote*"
action = "stall"
every = 1
[[rule]]
stream = "oms"
action = "partial_fills"
every = 1
[[rule]]
stream = "market"
action = "gap"
every = 1
[[rule]]
route = "/orders/*"
action = "5xx_before"
status = 502
every = 1
)");
  EXPECT_EQ(plan.Check(FaultArea::kHttp, "GET /quote/ltp", "", kT0)->delay_ms, 10'000);
  EXPECT_EQ(plan.Check(FaultArea::kOms, "oms", "", kT0)->trades, 2);
  EXPECT_EQ(plan.Check(FaultArea::kMarket, "market", "", kT0)->seconds, 60);
  // A route without a method matches any method.
  EXPECT_EQ(plan.Check(FaultArea::kHttp, "DELETE /orders/regular/1", "", kT0)->status, 502);
  EXPECT_EQ(plan.Check(FaultArea::kHttp, "PUT /orders/regular/1", "", kT0)->status, 502);
  EXPECT_FALSE(plan.Check(FaultArea::kHttp, "GET /trades", "", kT0));
}

std::vector<int> Fires(FaultPlan& plan, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    if (plan.Check(FaultArea::kMarket, "market", "256265", kT0 + i)) out.push_back(i);
  }
  return out;
}

std::string ProbabilityPlan(double p, int seed) {
  return "seed = " + std::to_string(seed) +
         "\n[[rule]]\nstream = \"market\"\naction = \"duplicate_ticks\"\nprobability = " +
         std::to_string(p) + "\n";
}

TEST(FaultPlan, ProbabilityIsDeterministicForASeed) {
  FaultPlan a = Plan(ProbabilityPlan(0.3, 7));
  FaultPlan b = Plan(ProbabilityPlan(0.3, 7));
  FaultPlan c = Plan(ProbabilityPlan(0.3, 8));
  const std::vector<int> fa = Fires(a, 2000);
  EXPECT_EQ(fa, Fires(b, 2000)) << "same seed, same faults";
  EXPECT_NE(fa, Fires(c, 2000)) << "another seed, other faults";
  EXPECT_GT(fa.size(), 500u);  // about 600 of 2000
  EXPECT_LT(fa.size(), 700u);
  FaultPlan never = Plan(ProbabilityPlan(0, 7));
  FaultPlan always = Plan(ProbabilityPlan(1, 7));
  EXPECT_TRUE(Fires(never, 500).empty());
  EXPECT_EQ(Fires(always, 500).size(), 500u);
}

TEST(FaultPlan, ProbabilityRulesDrawOnlyForTheirOwnEvents) {
  // Events other rules see (and events filtered out) do not move this rule's generator.
  const std::string text = ProbabilityPlan(0.5, 3) + R"(
[[rule]]
stream = "ws"
action = "omit"
every = 3
)";
  FaultPlan quiet = Plan(text);
  FaultPlan busy = Plan(text);
  std::vector<int> fq, fb;
  for (int i = 0; i < 200; ++i) {
    if (quiet.Check(FaultArea::kMarket, "market", "x", kT0)) fq.push_back(i);
    (void)busy.Check(FaultArea::kWs, "ws", "x", kT0);
    (void)busy.Check(FaultArea::kMarket, "oms", "x", kT0);  // wrong stream: no match
    if (busy.Check(FaultArea::kMarket, "market", "x", kT0)) fb.push_back(i);
  }
  EXPECT_EQ(fq, fb);
  EXPECT_EQ(busy.Counters()[1]["fired"], 66);
}

TEST(FaultPlan, CountCapsProbabilityFires) {
  FaultPlan plan = Plan(ProbabilityPlan(1, 1) + "count = 3\n");
  EXPECT_EQ(Fires(plan, 10), std::vector<int>({0, 1, 2}));
  EXPECT_EQ(plan.Counters()[0]["matched"], 10);
  EXPECT_EQ(plan.Counters()[0]["fired"], 3);
}

TEST(FaultPlan, MatchAndCallSiteActionsFilterTheEventsCounted) {
  FaultPlan plan = Plan(R"(
[[rule]]
stream = "ws"
match = "NIFTY*CE"
action = "duplicate"
nth = 2
[[rule]]
stream = "ws"
action = "drop"
nth = 1
)");
  const std::array<FaultAction, 4> updates = {FaultAction::kWsDelay, FaultAction::kWsDuplicate,
                                              FaultAction::kWsReorder, FaultAction::kWsOmit};
  // An order-update site: the drop rule does not count these events.
  EXPECT_FALSE(plan.Check(FaultArea::kWs, "ws", "NIFTY2610624000PE", kT0, updates));
  EXPECT_FALSE(plan.Check(FaultArea::kWs, "ws", "NIFTY2610624000CE", kT0, updates));
  auto f = plan.Check(FaultArea::kWs, "ws", "NIFTY2610624200CE", kT0, updates);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->action, FaultAction::kWsDuplicate);
  EXPECT_EQ(f->subject, "NIFTY2610624200CE");
  // A frame site that can drop: the drop rule's first event.
  const std::array<FaultAction, 2> frames = {FaultAction::kWsDrop, FaultAction::kWsStall};
  auto d = plan.Check(FaultArea::kWs, "ws", "", kT0, frames);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, FaultAction::kWsDrop);
  EXPECT_EQ(plan.Counters(), json::parse(R"([{"rule":0,"matched":2,"fired":1},
                                             {"rule":1,"matched":1,"fired":1}])"));
}

TEST(FaultPlan, OneFaultPerEventTheFirstRuleWins) {
  FaultPlan plan = Plan(R"(
[[rule]]
route = "POST /orders/*"
action = "5xx_after"
every = 2
[[rule]]
route = "POST /orders/regular"
action = "visibility_delay"
every = 1
)");
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    auto f = plan.Check(FaultArea::kHttp, "POST /orders/regular", "", kT0);
    got.emplace_back(f ? FaultActionName(f->action) : "-");
  }
  EXPECT_EQ(got, std::vector<std::string>(
                     {"visibility_delay", "5xx_after", "visibility_delay", "5xx_after"}));
  // The shadowed fires are not counted against the second rule.
  EXPECT_EQ(plan.Counters()[1], json::parse(R"({"rule":1,"matched":4,"fired":2})"));
}

// An RMS rejection of every `every`-th order.
FaultPlan RejectEvery(int every) {
  return Plan(
      fmt::format("[[rule]]\nstream = \"oms\"\naction = \"reject_rms\"\nevery = {}\n", every));
}

TEST(FaultPlan, TheLogRecordsEveryFire) {
  FaultPlan plan = RejectEvery(2);
  for (int i = 0; i < 5; ++i) {
    (void)plan.Check(FaultArea::kOms, "oms", "order-" + std::to_string(i),
                     kT0 + i * kNanosPerSecond);
  }
  const json log = plan.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], json::parse(R"({"n":1,"rule":0,"action":"reject_rms","area":"oms","key":"oms",
      "subject":"order-1","time":"2026-01-05 09:15:01","ts":)" +
                                std::to_string((kT0 + kNanosPerSecond).value) + "}"));
  EXPECT_EQ(log[1]["subject"], "order-3");
  EXPECT_EQ(log[1]["n"], 2);
  EXPECT_TRUE(FaultPlan().Log().empty());
  EXPECT_TRUE(FaultPlan().empty());
  EXPECT_FALSE(FaultPlan().Check(FaultArea::kHttp, "GET /orders", "", kT0));
}

TEST(FaultPlan, JsonHasTheSameFieldsAndRoundTrips) {
  const json body = json::parse(R"({"seed": 11, "rule": [
      {"route": "POST /orders/regular", "action": "stall", "nth": 2},
      {"stream": "ws", "match": "256265", "action": "error_frame", "probability": 0.25,
       "count": 4},
      {"stream": "oms", "action": "stuck_open_pending", "every": 5, "delay_ms": 3000}]})");
  auto plan = FaultPlan::FromJson(body);
  ASSERT_TRUE(plan.ok()) << plan.error();
  const json out = plan->ToJson();
  EXPECT_EQ(out["seed"], 11);
  EXPECT_EQ(out["rule"][0]["delay_ms"], 10'000);  // the default, shown
  EXPECT_EQ(out["rule"][1]["probability"], 0.25);
  EXPECT_EQ(out["rule"][2]["delay_ms"], 3000);
  auto again = FaultPlan::FromJson(out);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->ToJson(), out);
  // TOML and JSON give the same plan.
  FaultPlan toml = Plan(R"(
seed = 11
[[rule]]
route = "POST /orders/regular"
action = "stall"
nth = 2
[[rule]]
stream = "ws"
match = "256265"
action = "error_frame"
probability = 0.25
count = 4
[[rule]]
stream = "oms"
action = "stuck_open_pending"
every = 5
delay_ms = 3000
)");
  EXPECT_EQ(toml.ToJson(), out);
}

TEST(FaultPlan, BadRulesNameTheFileLineAndKey) {
  auto has = [](const std::string& error, const std::string& part) {
    return error.find(part) != std::string::npos;
  };
  std::string e = Error("[[rule]]\nroute = \"GET /orders\"\naction = \"drop\"\nnth = 1\n");
  EXPECT_TRUE(has(e, "faults.toml:3: 'rule[0].action'")) << e;
  EXPECT_TRUE(has(e, "unknown action \"drop\" for route rules")) << e;
  EXPECT_TRUE(has(e, "5xx_before")) << e;
  e = Error("[[rule]]\nstream = \"market\"\naction = \"drop_after\"\nevery = 1\n");
  EXPECT_TRUE(has(e, "'rule[0].action'") && has(e, "for market rules")) << e;
  e = Error(
      "[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnth = 1\n\n[[rule]]\nstream = \"ws\"\n"
      "action = \"omit\"\n");
  EXPECT_TRUE(has(e, "faults.toml:6: 'rule[1]': needs a trigger: nth, every or probability")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nprobability = 1.5\n");
  EXPECT_TRUE(has(e, "faults.toml:4: 'rule[0].probability'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nprobability = -0.1\n");
  EXPECT_TRUE(has(e, "'rule[0].probability'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnth = 1\nevery = 2\n");
  EXPECT_TRUE(has(e, "faults.toml:5: 'rule[0].every': one trigger per rule (nth is given too)"))
      << e;
  e = Error("[[rule]]\naction = \"drop\"\nnth = 1\n");
  EXPECT_TRUE(has(e, "'rule[0]': needs route")) << e;
  e = Error("[[rule]]\nroute = \"GET /\"\nstream = \"ws\"\naction = \"drop\"\nnth = 1\n");
  EXPECT_TRUE(has(e, "'rule[0].stream': give route or stream, not both")) << e;
  e = Error("[[rule]]\nstream = \"udp\"\naction = \"drop\"\nnth = 1\n");
  EXPECT_TRUE(has(e, "faults.toml:2: 'rule[0].stream'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnth = 1\ntrades = 3\n");
  EXPECT_TRUE(has(e, "faults.toml:5: 'rule[0].trades': not a parameter of action \"drop\"")) << e;
  e = Error("[[rule]]\nstream = \"oms\"\naction = \"partial_fills\"\nnth = 1\ntrades = 1\n");
  EXPECT_TRUE(has(e, "'rule[0].trades'")) << e;
  e = Error("[[rule]]\nroute = \"GET /\"\naction = \"5xx_before\"\nnth = 1\nstatus = 404\n");
  EXPECT_TRUE(has(e, "'rule[0].status'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnth = 0\n");
  EXPECT_TRUE(has(e, "'rule[0].nth'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnth = 1\ncount = 2\n");
  EXPECT_TRUE(has(e, "'rule[0].count'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnht = 1\n");
  EXPECT_TRUE(has(e, "faults.toml:4: unknown key 'rule[0].nht'")) << e;
  e = Error("[[rule]]\nstream = \"ws\"\naction = \"drop\"\nnth = \"3\"\n");
  EXPECT_TRUE(has(e, "'rule[0].nth'")) << e;
  e = Error("seed = -1\n");
  EXPECT_TRUE(has(e, "faults.toml:1: 'seed'")) << e;
  e = Error("[[rule]]\nstream = \n");  // TOML syntax
  EXPECT_TRUE(has(e, "faults.toml:2")) << e;
  // JSON: the same checks, named by the body.
  auto j = FaultPlan::FromJson(json::parse(R"({"rule":[{"stream":"ws","action":"gap","nth":1}]})"));
  ASSERT_FALSE(j.ok());
  EXPECT_TRUE(has(j.error(), "fault plan JSON: 'rule[0].action'")) << j.error();
  j = FaultPlan::FromJson(json::parse(R"({"rule":[{"stream":"ws","action":"drop","nth":null}]})"));
  ASSERT_FALSE(j.ok());
  EXPECT_TRUE(has(j.error(), "'rule[0].nth'")) << j.error();
  EXPECT_FALSE(FaultPlan::FromJson(json::array()).ok());
}

TEST(FaultPlan, LoadsAFile) {
  const fs::path path =
      fs::temp_directory_path() / ("nacre_faults_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << "seed = 5\n[[rule]]\nroute = \"GET /user/*\"\naction = \"403_now\"\nnth = 1\n"
           "[[rule]]\nroute = \"GET /user/*\"\naction = \"429_burst\"\nnth = 1\n";
  }
  auto plan = FaultPlan::Load(path.string());
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->Check(FaultArea::kHttp, "GET /user/profile", "", kT0)->action,
            FaultAction::k403Now);
  EXPECT_FALSE(plan->Check(FaultArea::kHttp, "GET /user/profile", "", kT0));
  {
    std::ofstream out(path);
    out << "[[rule]]\nroute = \"GET /user/*\"\naction = \"429_burst\"\nevery = 1\nseconds = 2\n";
  }
  auto bad = FaultPlan::Load(path.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find(path.string() + ":5: 'rule[0].seconds'"), std::string::npos)
      << bad.error();
  EXPECT_FALSE(FaultPlan::Load((path.string() + ".missing")).ok());
  fs::remove(path);
}

TEST(FaultPlan, TheExampleFileLoadsWithARuleOfEachArea) {
  const fs::path path = fs::path(NACRE_SOURCE_DIR) / "examples" / "kite_emu_faults.toml";
  auto plan = FaultPlan::Load(path.string());
  ASSERT_TRUE(plan.ok()) << plan.error();
  const json rules = plan->ToJson()["rule"];
  std::set<std::string> areas;
  std::set<std::string> oms_actions;
  for (const json& r : rules) {
    areas.insert(r.contains("route") ? "http" : r["stream"].get<std::string>());
    if (r.value("stream", "") == "oms") oms_actions.insert(r["action"].get<std::string>());
  }
  EXPECT_EQ(areas, (std::set<std::string>{"http", "ws", "market", "oms"}));
  EXPECT_EQ(oms_actions, (std::set<std::string>{"stuck_open_pending", "cancel_loses_race",
                                                "partial_fills", "reject_rms"}));
  // The OMS rules act as documented there: the first placement is held in OPEN PENDING, the
  // second split in three trades.
  static constexpr FaultAction kPlace[] = {FaultAction::kStuckOpenPending, FaultAction::kRejectRms,
                                           FaultAction::kPartialFills};
  auto first = plan->Check(FaultArea::kOms, "oms", "NIFTY26JUN24000CE", kT0, kPlace);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->action, FaultAction::kStuckOpenPending);
  auto second = plan->Check(FaultArea::kOms, "oms", "NIFTY26JUN24000CE", kT0, kPlace);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->action, FaultAction::kPartialFills);
  EXPECT_EQ(second->trades, 3);
}

// A plan that fires on every event keeps only the last kLogLimit fires, numbered so a reader
// sees how many went before; the counters still count every fire.
TEST(FaultPlan, TheLogKeepsTheLastFiresAndTheCountersCountThemAll) {
  FaultPlan plan = RejectEvery(1);
  const std::size_t total = FaultPlan::kLogLimit + 25;
  for (std::size_t i = 0; i < total; ++i) {
    ASSERT_TRUE(plan.Check(FaultArea::kOms, "oms", "o" + std::to_string(i), kT0));
  }
  const json log = plan.Log();
  ASSERT_EQ(log.size(), FaultPlan::kLogLimit);
  EXPECT_EQ(log.front()["n"], 26);
  EXPECT_EQ(log.front()["subject"], "o25");
  EXPECT_EQ(log.back()["n"], total);
  EXPECT_EQ(log.back()["subject"], "o" + std::to_string(total - 1));
  EXPECT_EQ(plan.Counters()[0]["fired"], total);
}

}  // namespace
}  // namespace nacre::kite_emu
