#include "model/data.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace nacre {

DurationNs BarSpecification::Interval() const {
  switch (aggregation) {
    case BarAggregation::kSecond:
      return step * kNanosPerSecond;
    case BarAggregation::kMinute:
      return step * kNanosPerMinute;
    case BarAggregation::kHour:
      return step * kNanosPerHour;
    case BarAggregation::kDay:
      return step * kNanosPerDay;
  }
  return 0;
}

Status BarType::ValidateSpec(const BarSpecification& spec) {
  if (spec.step <= 0) return MakeError(fmt::format("step must be positive, got {}", spec.step));
  int parent = 0;
  switch (spec.aggregation) {
    case BarAggregation::kSecond:
    case BarAggregation::kMinute:
      parent = 60;
      break;
    case BarAggregation::kHour:
      parent = 24;
      break;
    case BarAggregation::kDay:
      parent = 1;
      break;
  }
  if (parent % spec.step != 0) {
    return MakeError(fmt::format("step {} of {} does not divide its parent unit ({})", spec.step,
                                 nacre::ToString(spec.aggregation), parent));
  }
  return Status::Ok();
}

Result<BarType> BarType::Parse(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return MakeError(fmt::format("invalid bar type '{}': {}", text, why));
  };
  // Split the last four '-' separated parts; the instrument id may itself contain '-'.
  std::vector<std::string_view> parts;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    const auto dash = rest.rfind('-');
    if (dash == std::string_view::npos)
      return fail("expected {instrument_id}-{step}-{aggregation}-{price_type}-{source}");
    parts.push_back(rest.substr(dash + 1));
    rest = rest.substr(0, dash);
  }
  auto id = InstrumentId::Parse(rest);
  if (!id) return fail(id.error());
  const std::string_view step_s = parts[3];
  int step = 0;
  auto [ptr, ec] = std::from_chars(step_s.data(), step_s.data() + step_s.size(), step);
  if (ec != std::errc() || ptr != step_s.data() + step_s.size())
    return fail(fmt::format("step '{}' is not an integer", step_s));
  auto agg = ParseEnum<BarAggregation>(parts[2]);
  if (!agg)
    return fail(
        fmt::format("aggregation '{}' not supported (SECOND, MINUTE, HOUR, DAY)", parts[2]));
  auto pt = ParseEnum<PriceType>(parts[1]);
  if (!pt) return fail(fmt::format("price type '{}' unknown (BID, ASK, MID, LAST)", parts[1]));
  auto src = ParseEnum<AggregationSource>(parts[0]);
  if (!src) return fail(fmt::format("source '{}' unknown (INTERNAL, EXTERNAL)", parts[0]));
  BarSpecification spec{step, *agg, *pt};
  if (Status s = ValidateSpec(spec); !s) return fail(s.error());
  return BarType(*id, spec, *src);
}

std::string BarType::ToString() const {
  return fmt::format("{}-{}-{}-{}-{}", instrument_id_.value(), spec_.step,
                     nacre::ToString(spec_.aggregation), nacre::ToString(spec_.price_type),
                     nacre::ToString(source_));
}

Status ValidateBar(const Bar& b) {
  if (b.high < b.open || b.high < b.close || b.high < b.low)
    return MakeError(fmt::format("bar high {} below open/low/close", b.high.ToString()));
  if (b.low > b.open || b.low > b.close)
    return MakeError(fmt::format("bar low {} above open/close", b.low.ToString()));
  if (b.ts_init < b.ts_event) return MakeError("bar ts_init before ts_event");
  return Status::Ok();
}

}  // namespace nacre
