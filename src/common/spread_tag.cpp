#include "common/spread_tag.h"

#include <fmt/format.h>

#include <charconv>

namespace nacre {

std::string_view ToString(SpreadLegPurpose p) {
  switch (p) {
    case SpreadLegPurpose::kOpen:
      return "open";
    case SpreadLegPurpose::kClose:
      return "close";
    case SpreadLegPurpose::kUnwind:
      return "unwind";
  }
  return "?";
}

std::string FormatSpreadLegTag(const SpreadLegTag& tag) {
  return fmt::format("spread={} leg={} {}", tag.spread_id, tag.leg, ToString(tag.purpose));
}

std::optional<SpreadLegTag> ParseSpreadLegTag(std::string_view tags) {
  constexpr std::string_view kSpread = "spread=";
  constexpr std::string_view kLeg = " leg=";
  if (!tags.starts_with(kSpread)) return std::nullopt;
  tags.remove_prefix(kSpread.size());
  const std::size_t leg_at = tags.find(kLeg);
  if (leg_at == 0 || leg_at == std::string_view::npos) return std::nullopt;
  SpreadLegTag out;
  out.spread_id = std::string(tags.substr(0, leg_at));
  tags.remove_prefix(leg_at + kLeg.size());
  const auto [end, ec] = std::from_chars(tags.data(), tags.data() + tags.size(), out.leg);
  if (ec != std::errc() || out.leg < 1) return std::nullopt;
  tags.remove_prefix(static_cast<std::size_t>(end - tags.data()));
  if (tags == " open") {
    out.purpose = SpreadLegPurpose::kOpen;
  } else if (tags == " close") {
    out.purpose = SpreadLegPurpose::kClose;
  } else if (tags == " unwind") {
    out.purpose = SpreadLegPurpose::kUnwind;
  } else {
    return std::nullopt;
  }
  return out;
}

}  // namespace nacre
