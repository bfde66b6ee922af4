// Instrument definitions: index (reference only, not tradable), futures contract and option
// contract. One flat value type keeps option chains compact (no per-instrument heap graph);
// derivative fields are meaningful only for the classes that use them. Immutable once built.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "model/enums.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

struct Instrument {
  InstrumentId id;
  InstrumentClass instrument_class = InstrumentClass::kIndex;
  Symbol raw_symbol;  // the venue's own trading symbol (Kite tradingsymbol)
  Currency currency = Currency::INR();
  int price_precision = 2;
  Price tick_size = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);  // ₹0.05
  int size_precision = 0;
  Quantity lot_size = Quantity::FromInt(1);
  std::int64_t multiplier = 1;
  std::optional<Quantity> freeze_quantity;  // max quantity in one order (NSE "freeze")
  // Margin ratios as fixed-point raw at scale 10^9 (0.12 => 120'000'000): a simple linear
  // model for the first venue; the NSE SPAN model replaces it for options.
  std::int64_t margin_init_raw = 0;
  std::int64_t margin_maint_raw = 0;
  // Derivatives.
  InstrumentId underlying;
  UnixNanos activation;
  UnixNanos expiration;
  // Options.
  OptionKind option_kind = OptionKind::kCall;
  Price strike;

  bool is_tradable() const { return instrument_class != InstrumentClass::kIndex; }
  bool has_expiry() const { return instrument_class != InstrumentClass::kIndex; }
  bool IsExpired(UnixNanos now) const { return has_expiry() && now >= expiration; }
  // Price is positive-or-zero and on the tick grid.
  bool OnTickGrid(Price px) const {
    return tick_size.raw() > 0 && px.raw() >= 0 && px.raw() % tick_size.raw() == 0;
  }
  bool IsLotMultiple(Quantity q) const {
    return lot_size.raw() > 0 && q.raw() % lot_size.raw() == 0;
  }
  Price MakePrice(double v) const { return Price::FromDouble(v, price_precision); }
};

struct InstrumentSpec {
  InstrumentId id;
  Symbol raw_symbol;
  int price_precision = 2;
  Price tick_size = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);
  Quantity lot_size = Quantity::FromInt(1);
  std::int64_t multiplier = 1;
  std::optional<Quantity> freeze_quantity;
  std::int64_t margin_init_raw = 0;
  std::int64_t margin_maint_raw = 0;
};

// Checked factories: precision, tick size, lot size and multiplier must be consistent.
Result<Instrument> MakeIndex(const InstrumentId& id, int price_precision, Price tick_size);
Result<Instrument> MakeFuture(const InstrumentSpec& spec, const InstrumentId& underlying,
                              UnixNanos activation, UnixNanos expiration);
Result<Instrument> MakeOption(const InstrumentSpec& spec, const InstrumentId& underlying,
                              OptionKind kind, Price strike, UnixNanos activation,
                              UnixNanos expiration);

}  // namespace nacre
