#include "apps/kite_emulator/faults.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <deque>
#include <limits>

#include "adapters/zerodha/kite_json.h"
#include "common/config.h"
#include "common/params.h"
#include "persistence/catalog.h"  // GlobMatch

namespace nacre::kite_emu {

namespace {

using nlohmann::json;

// One action: its area, plan name, and the one parameter it takes ("" for none) with default.
struct ActionSpec {
  FaultAction action;
  FaultArea area;
  std::string_view name;
  std::string_view param;
  std::int64_t def;
};

constexpr std::array<ActionSpec, 24> kActions = {{
    {FaultAction::k5xxBefore, FaultArea::kHttp, "5xx_before", "status", 503},
    {FaultAction::k5xxAfter, FaultArea::kHttp, "5xx_after", "status", 503},
    {FaultAction::kDropAfter, FaultArea::kHttp, "drop_after", "", 0},
    {FaultAction::kHttpStall, FaultArea::kHttp, "stall", "delay_ms", 10'000},
    {FaultAction::k429Burst, FaultArea::kHttp, "429_burst", "delay_ms", 1'000},
    {FaultAction::k403Now, FaultArea::kHttp, "403_now", "", 0},
    {FaultAction::kVisibilityDelay, FaultArea::kHttp, "visibility_delay", "delay_ms", 2'000},
    {FaultAction::kGarble, FaultArea::kHttp, "garble", "", 0},
    {FaultAction::kOldDump, FaultArea::kHttp, "old_dump", "", 0},
    {FaultAction::kWsDrop, FaultArea::kWs, "drop", "", 0},
    {FaultAction::kWsStall, FaultArea::kWs, "stall", "delay_ms", 10'000},
    {FaultAction::kWsDelay, FaultArea::kWs, "delay", "delay_ms", 1'000},
    {FaultAction::kWsDuplicate, FaultArea::kWs, "duplicate", "", 0},
    {FaultAction::kWsReorder, FaultArea::kWs, "reorder", "", 0},
    {FaultAction::kWsOmit, FaultArea::kWs, "omit", "", 0},
    {FaultAction::kWsErrorFrame, FaultArea::kWs, "error_frame", "", 0},
    {FaultAction::kGap, FaultArea::kMarket, "gap", "seconds", 60},
    {FaultAction::kDuplicateTicks, FaultArea::kMarket, "duplicate_ticks", "", 0},
    {FaultAction::kStale, FaultArea::kMarket, "stale", "seconds", 60},
    {FaultAction::kStuckOpenPending, FaultArea::kOms, "stuck_open_pending", "delay_ms", 0},
    {FaultAction::kCancelLosesRace, FaultArea::kOms, "cancel_loses_race", "", 0},
    {FaultAction::kPartialFills, FaultArea::kOms, "partial_fills", "trades", 2},
    {FaultAction::kRejectRms, FaultArea::kOms, "reject_rms", "", 0},
    {FaultAction::kTradesLag, FaultArea::kOms, "trades_lag", "delay_ms", 5'000},
}};

constexpr std::array<std::string_view, 4> kParams = {"delay_ms", "status", "trades", "seconds"};

const ActionSpec& SpecOf(FaultAction a) {
  for (const ActionSpec& s : kActions) {
    if (s.action == a) return s;
  }
  return kActions[0];  // unreachable: every action is listed
}

ParamSchema PlanSchema() {
  using P = ParamSpec;
  return {
      "fault plan",
      "the Kite emulator's fault rules (LIVE.md §10)",
      {
          P::Int("seed", 1).AtLeast(0).Doc("seeds the probability rules (same seed, same faults)"),
          P::TableList("rule").Doc("the rules, checked in order"),
      }};
}

ParamSchema RuleSchema() {
  using P = ParamSpec;
  return {
      "[[rule]]",
      "one fault rule",
      {
          P::String("route").Doc("\"METHOD /path\" glob of the HTTP requests it applies to"),
          P::String("stream").Choices({"ws", "market", "oms"}).Doc("the stream it applies to"),
          P::String("match").Doc("glob on the event's subject (tradingsymbol, token, order id)"),
          P::String("action").Required().Doc("what happens (per area; see faults.h)"),
          P::Int("nth").AtLeast(1).Doc("fire on the n-th matching event only"),
          P::Int("every").AtLeast(1).Doc("fire on every k-th matching event"),
          P::Number("probability").Range(0, 1).Doc("fire with this chance per matching event"),
          P::Int("count").AtLeast(1).Doc("at most this many fires"),
          P::Int("delay_ms").Range(0, 86'400'000).Doc("stall, delay and hold lengths, ms"),
          P::Int("status").Range(500, 599).Doc("the 5xx status to answer"),
          P::Int("trades").Range(2, 1'000).Doc("partial_fills: trades per order"),
          P::Int("seconds").Range(1, 86'400).Doc("gap and stale lengths, s"),
      }};
}

// SplitMix64: small, portable and the same on every platform (std distributions are not).
std::uint64_t SplitMix(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// JSON → TOML, so a JSON plan goes through the same schema checks as a file.
[[noreturn]] void JsonFail(const std::string& name, const std::string& path,
                           const std::string& why) {
  throw ConfigError(fmt::format("{}: '{}': {}", name, path, why));
}

void Insert(toml::table& t, const std::string& key, const json& v, const std::string& name,
            const std::string& path);

toml::array ToArray(const json& v, const std::string& name, const std::string& path) {
  toml::array a;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    const std::string at = fmt::format("{}[{}]", path, i);
    if (e.is_object()) {
      toml::table t;
      for (const auto& [k, x] : e.items()) Insert(t, k, x, name, at + "." + k);
      a.push_back(std::move(t));
    } else if (e.is_array()) {
      a.push_back(ToArray(e, name, at));
    } else if (e.is_string()) {
      a.push_back(e.get<std::string>());
    } else if (e.is_boolean()) {
      a.push_back(e.get<bool>());
    } else if (e.is_number_integer() && !e.is_number_unsigned()) {
      a.push_back(e.get<std::int64_t>());
    } else if (e.is_number_unsigned() &&
               e.get<std::uint64_t>() <=
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      a.push_back(static_cast<std::int64_t>(e.get<std::uint64_t>()));
    } else if (e.is_number_float()) {
      a.push_back(e.get<double>());
    } else {
      JsonFail(name, at, "expected a string, number, boolean, array or object");
    }
  }
  return a;
}

void Insert(toml::table& t, const std::string& key, const json& v, const std::string& name,
            const std::string& path) {
  if (v.is_object()) {
    toml::table sub;
    for (const auto& [k, x] : v.items()) Insert(sub, k, x, name, path + "." + k);
    t.insert(key, std::move(sub));
  } else if (v.is_array()) {
    t.insert(key, ToArray(v, name, path));
  } else if (v.is_string()) {
    t.insert(key, v.get<std::string>());
  } else if (v.is_boolean()) {
    t.insert(key, v.get<bool>());
  } else if (v.is_number_integer() && !v.is_number_unsigned()) {
    t.insert(key, v.get<std::int64_t>());
  } else if (v.is_number_unsigned() &&
             v.get<std::uint64_t>() <=
                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    t.insert(key, static_cast<std::int64_t>(v.get<std::uint64_t>()));
  } else if (v.is_number_float()) {
    t.insert(key, v.get<double>());
  } else {
    JsonFail(name, path, "expected a string, number, boolean, array or object");
  }
}

}  // namespace

std::string_view FaultAreaName(FaultArea area) {
  switch (area) {
    case FaultArea::kHttp:
      return "http";
    case FaultArea::kWs:
      return "ws";
    case FaultArea::kMarket:
      return "market";
    case FaultArea::kOms:
      return "oms";
  }
  return "http";
}

std::string_view FaultActionName(FaultAction action) { return SpecOf(action).name; }
FaultArea AreaOf(FaultAction action) { return SpecOf(action).area; }

struct FaultPlan::Rule {
  FaultArea area = FaultArea::kHttp;
  std::string route;    // as written
  std::string pattern;  // route with "* " in front when it names no method
  std::string stream;
  std::optional<std::string> match;
  FaultAction action = FaultAction::k5xxBefore;
  std::optional<std::int64_t> nth;
  std::optional<std::int64_t> every;
  std::optional<double> probability;
  std::optional<std::int64_t> count;
  std::int64_t param = 0;  // the action's one parameter (SpecOf(action).param), if it takes one
  std::uint64_t rng = 0;
  std::int64_t matched = 0;
  std::int64_t fired = 0;
};

struct FaultPlan::State {
  std::uint64_t seed = 1;
  std::vector<Rule> rules;
  std::deque<FiredFault> log;  // the last kLogLimit fires
  std::uint64_t fires = 0;     // every fire, numbered from 1 ("n" in the log)
  mutable std::mutex mu;
};

FaultPlan::FaultPlan() : s_(std::make_unique<State>()) {}
FaultPlan::~FaultPlan() = default;
FaultPlan::FaultPlan(FaultPlan&&) noexcept = default;
FaultPlan& FaultPlan::operator=(FaultPlan&&) noexcept = default;

Result<FaultPlan> FaultPlan::FromTable(const ConfigTable& table) {
  try {
    const Params top(table, PlanSchema());
    FaultPlan plan;
    plan.s_->seed = static_cast<std::uint64_t>(top.GetInt("seed"));
    const std::vector<ConfigTable> tables = top.GetTableList("rule");
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const Params p(tables[i], RuleSchema());
      Rule r;
      const bool has_route = p.Has("route");
      const bool has_stream = p.Has("stream");
      if (has_route == has_stream) {
        p.Fail(has_route ? "stream" : "",
               has_route ? "give route or stream, not both"
                         : "needs route (\"METHOD /path\") or stream (ws, market, oms)");
      }
      if (has_route) {
        r.area = FaultArea::kHttp;
        r.route = p.GetString("route");
        if (r.route.empty()) p.Fail("route", "must not be empty");
        r.pattern = r.route.find(' ') == std::string::npos ? "* " + r.route : r.route;
      } else {
        r.stream = p.GetString("stream");
        r.area = r.stream == "ws" ? FaultArea::kWs
                                  : (r.stream == "market" ? FaultArea::kMarket : FaultArea::kOms);
      }
      if (p.Has("match")) r.match = p.GetString("match");
      const std::string action = p.GetString("action");
      const ActionSpec* spec = nullptr;
      std::vector<std::string_view> known;
      for (const ActionSpec& s : kActions) {
        if (s.area != r.area) continue;
        known.push_back(s.name);
        if (s.name == action) spec = &s;
      }
      if (spec == nullptr) {
        p.Fail("action", fmt::format("unknown action \"{}\" for {} rules (expected {})", action,
                                     has_route ? "route" : r.stream, fmt::join(known, ", ")));
      }
      r.action = spec->action;
      std::string trigger;
      for (const char* t : {"nth", "every", "probability"}) {
        if (!p.Has(t)) continue;
        if (!trigger.empty()) {
          p.Fail(t, fmt::format("one trigger per rule ({} is given too)", trigger));
        }
        trigger = t;
      }
      if (trigger.empty()) p.Fail("", "needs a trigger: nth, every or probability");
      if (trigger == "nth") r.nth = p.GetInt("nth");
      if (trigger == "every") r.every = p.GetInt("every");
      if (trigger == "probability") r.probability = p.GetNumber("probability");
      if (p.Has("count")) {
        if (r.nth) p.Fail("count", "not used with nth (it fires once)");
        r.count = p.GetInt("count");
      }
      for (std::string_view k : kParams) {
        const std::string key(k);
        if (!p.Has(key)) continue;
        if (spec->param != k) {
          p.Fail(key,
                 fmt::format("not a parameter of action \"{}\"{}", spec->name,
                             spec->param.empty() ? std::string(" (it takes none)")
                                                 : fmt::format(" (it takes {})", spec->param)));
        }
      }
      r.param =
          spec->param.empty()
              ? 0
              : (p.Has(std::string(spec->param)) ? p.GetInt(std::string(spec->param)) : spec->def);
      r.rng = plan.s_->seed ^ (0xD1B54A32D192ED03ULL * (i + 1));
      plan.s_->rules.push_back(std::move(r));
    }
    return plan;
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kInvalidInput, e.what());
  }
}

Result<FaultPlan> FaultPlan::Load(const std::string& path) {
  try {
    auto root = ConfigTable::ParseFile(path);
    return FromTable(ConfigTable(*root, path, ""));
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kInvalidInput, e.what());
  }
}

Result<FaultPlan> FaultPlan::FromToml(std::string_view text, const std::string& name) {
  try {
    auto root = ConfigTable::ParseString(text, name);
    return FromTable(ConfigTable(*root, name, ""));
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kInvalidInput, e.what());
  }
}

Result<FaultPlan> FaultPlan::FromJson(const json& body, const std::string& name) {
  try {
    if (!body.is_object()) {
      throw ConfigError(name + ": expected an object {\"seed\": …, \"rule\": [ … ]}");
    }
    toml::table root;
    for (const auto& [k, v] : body.items()) Insert(root, k, v, name, k);
    return FromTable(ConfigTable(root, name, ""));
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kInvalidInput, e.what());
  }
}

std::optional<FiredFault> FaultPlan::Check(FaultArea area, std::string_view key,
                                           std::string_view subject, UnixNanos now,
                                           std::span<const FaultAction> can) {
  std::lock_guard lock(s_->mu);
  std::optional<FiredFault> out;
  for (std::size_t i = 0; i < s_->rules.size(); ++i) {
    Rule& r = s_->rules[i];
    if (r.area != area) continue;
    if (area == FaultArea::kHttp ? !GlobMatch(r.pattern, key) : r.stream != key) continue;
    if (r.match && !GlobMatch(*r.match, subject)) continue;
    if (!can.empty() && std::find(can.begin(), can.end(), r.action) == can.end()) continue;
    ++r.matched;
    bool fire = false;
    if (r.nth) {
      fire = r.matched == *r.nth;
    } else if (r.every) {
      fire = r.matched % *r.every == 0;
    } else {
      // 53 random bits as a double in [0, 1).
      const double u = static_cast<double>(SplitMix(r.rng) >> 11) * 0x1.0p-53;
      fire = u < *r.probability;
    }
    if (r.count && r.fired >= *r.count) fire = false;
    if (!fire || out) continue;
    ++r.fired;
    FiredFault f;
    f.rule = i;
    f.action = r.action;
    const std::string_view param = SpecOf(r.action).param;
    if (param == "delay_ms") f.delay_ms = r.param;
    if (param == "status") f.status = static_cast<int>(r.param);
    if (param == "trades") f.trades = static_cast<int>(r.param);
    if (param == "seconds") f.seconds = r.param;
    f.key = std::string(key);
    f.subject = std::string(subject);
    f.time = now;
    f.n = ++s_->fires;
    if (s_->log.size() == kLogLimit) s_->log.pop_front();
    s_->log.push_back(f);
    out = std::move(f);
  }
  return out;
}

bool FaultPlan::empty() const {
  std::lock_guard lock(s_->mu);
  return s_->rules.empty();
}

json FaultPlan::Log() const {
  std::lock_guard lock(s_->mu);
  json out = json::array();
  for (const FiredFault& f : s_->log) {
    out.push_back({{"n", f.n},
                   {"rule", f.rule},
                   {"action", FaultActionName(f.action)},
                   {"area", FaultAreaName(AreaOf(f.action))},
                   {"key", f.key},
                   {"subject", f.subject},
                   {"time", KiteTimeText(f.time)},
                   {"ts", f.time.value}});
  }
  return out;
}

json FaultPlan::ToJson() const {
  std::lock_guard lock(s_->mu);
  json rules = json::array();
  for (const Rule& r : s_->rules) {
    json j;
    if (r.area == FaultArea::kHttp) {
      j["route"] = r.route;
    } else {
      j["stream"] = r.stream;
    }
    if (r.match) j["match"] = *r.match;
    j["action"] = FaultActionName(r.action);
    if (r.nth) j["nth"] = *r.nth;
    if (r.every) j["every"] = *r.every;
    if (r.probability) j["probability"] = *r.probability;
    if (r.count) j["count"] = *r.count;
    const std::string_view param = SpecOf(r.action).param;
    if (!param.empty()) j[std::string(param)] = r.param;
    rules.push_back(std::move(j));
  }
  return json{{"seed", s_->seed}, {"rule", std::move(rules)}};
}

json FaultPlan::Counters() const {
  std::lock_guard lock(s_->mu);
  json out = json::array();
  for (std::size_t i = 0; i < s_->rules.size(); ++i) {
    out.push_back({{"rule", i}, {"matched", s_->rules[i].matched}, {"fired", s_->rules[i].fired}});
  }
  return out;
}

}  // namespace nacre::kite_emu
