#include "portfolio/accounting.h"

namespace nacre {

bool IsPremiumStyle(const Instrument& inst) {
  return inst.instrument_class == InstrumentClass::kOption;
}

Money PremiumCash(std::int64_t signed_delta_raw, Price px, std::int64_t multiplier,
                  const Currency& currency) {
  if (signed_delta_raw == 0) return Money::Zero(currency);
  const std::int64_t abs_raw = signed_delta_raw < 0 ? -signed_delta_raw : signed_delta_raw;
  const Money notional = Money::Notional(px, Quantity::Raw(abs_raw, 0), multiplier, currency);
  return signed_delta_raw > 0 ? -notional : notional;
}

Money MarkValue(const Position& p, Price mark) {
  const Money value = p.Notional(mark);
  return p.signed_qty_raw() < 0 ? -value : value;
}

Money EquityValue(const Instrument* inst, const Position& p, std::optional<Price> mark) {
  if (p.is_closed()) return Money::Zero(p.realized_pnl().currency());
  if (inst != nullptr && IsPremiumStyle(*inst)) return MarkValue(p, mark.value_or(p.avg_px_open()));
  return mark ? p.Unrealized(*mark) : Money::Zero(p.realized_pnl().currency());
}

}  // namespace nacre
