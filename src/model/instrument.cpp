#include "model/instrument.h"

#include <fmt/format.h>

namespace nacre {

namespace {

Status CheckSpec(const InstrumentSpec& s) {
  const std::string& id = s.id.value();
  if (s.id.empty()) return MakeError("instrument id is empty");
  if (s.price_precision < 0 || s.price_precision > kMaxPrecision)
    return MakeError(fmt::format("{}: price_precision {} outside [0, 9]", id, s.price_precision));
  if (!s.tick_size.is_positive())
    return MakeError(fmt::format("{}: tick_size must be positive", id));
  if (!FitsPrecision(s.tick_size.raw(), s.price_precision))
    return MakeError(fmt::format("{}: tick_size {} finer than price_precision {}", id,
                                 s.tick_size.ToString(), s.price_precision));
  if (s.lot_size.raw() <= 0) return MakeError(fmt::format("{}: lot_size must be positive", id));
  if (s.multiplier <= 0) return MakeError(fmt::format("{}: multiplier must be positive", id));
  if (s.freeze_quantity && s.freeze_quantity->raw() < s.lot_size.raw())
    return MakeError(fmt::format("{}: freeze_quantity below lot_size", id));
  if (s.margin_init_raw < 0 || s.margin_maint_raw < 0)
    return MakeError(fmt::format("{}: margin ratios must be non-negative", id));
  return Status::Ok();
}

Instrument FromSpec(const InstrumentSpec& s, InstrumentClass cls) {
  Instrument i;
  i.id = s.id;
  i.instrument_class = cls;
  i.raw_symbol = s.raw_symbol.empty() ? s.id.symbol() : s.raw_symbol;
  i.price_precision = s.price_precision;
  i.tick_size = Price::Raw(s.tick_size.raw(), s.price_precision);
  i.size_precision = s.lot_size.precision();
  i.lot_size = s.lot_size;
  i.multiplier = s.multiplier;
  i.freeze_quantity = s.freeze_quantity;
  i.margin_init_raw = s.margin_init_raw;
  i.margin_maint_raw = s.margin_maint_raw;
  return i;
}

}  // namespace

Result<Instrument> MakeIndex(const InstrumentId& id, int price_precision, Price tick_size) {
  InstrumentSpec s;
  s.id = id;
  s.price_precision = price_precision;
  s.tick_size = tick_size;
  if (Status st = CheckSpec(s); !st) return MakeError(st.error());
  return FromSpec(s, InstrumentClass::kIndex);
}

Result<Instrument> MakeFuture(const InstrumentSpec& spec, const InstrumentId& underlying,
                              UnixNanos activation, UnixNanos expiration) {
  if (Status st = CheckSpec(spec); !st) return MakeError(st.error());
  if (expiration <= activation)
    return MakeError(fmt::format("{}: expiration must be after activation", spec.id.value()));
  Instrument i = FromSpec(spec, InstrumentClass::kFuture);
  i.underlying = underlying;
  i.activation = activation;
  i.expiration = expiration;
  return i;
}

Result<Instrument> MakeOption(const InstrumentSpec& spec, const InstrumentId& underlying,
                              OptionKind kind, Price strike, UnixNanos activation,
                              UnixNanos expiration) {
  if (Status st = CheckSpec(spec); !st) return MakeError(st.error());
  if (!strike.is_positive())
    return MakeError(fmt::format("{}: strike must be positive", spec.id.value()));
  if (expiration <= activation)
    return MakeError(fmt::format("{}: expiration must be after activation", spec.id.value()));
  Instrument i = FromSpec(spec, InstrumentClass::kOption);
  i.underlying = underlying;
  i.option_kind = kind;
  i.strike = strike;
  i.activation = activation;
  i.expiration = expiration;
  return i;
}

}  // namespace nacre
