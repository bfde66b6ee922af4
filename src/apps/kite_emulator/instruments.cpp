#include "apps/kite_emulator/instruments.h"

#include <algorithm>

#include "core/time.h"

namespace nacre::kite_emu {

namespace {

// "NIFTY 50" → "NIFTY" (the name Kite gives an index's derivatives).
std::string DerivativeName(const InstrumentId& underlying) {
  std::string s = underlying.symbol().value();
  if (s == "NIFTY 50") return "NIFTY";
  if (s == "NIFTY BANK") return "BANKNIFTY";
  return s;
}

}  // namespace

std::vector<KiteInstrumentRow> KiteInstrumentTable(std::vector<Instrument> instruments) {
  std::sort(instruments.begin(), instruments.end(),
            [](const Instrument& a, const Instrument& b) { return a.id.value() < b.id.value(); });
  std::vector<KiteInstrumentRow> rows;
  std::uint32_t next_index = 2001;
  std::uint32_t next_derivative = 1;
  for (const Instrument& ins : instruments) {
    KiteInstrumentRow r;
    r.tradingsymbol = ins.raw_symbol.value().empty() ? ins.id.symbol().value() : ins.raw_symbol.value();
    r.last_price = Price::Raw(0, 1);
    r.strike = Price::Raw(0, 1);
    if (ins.instrument_class == InstrumentClass::kIndex) {
      r.exchange_token = r.tradingsymbol == "NIFTY 50" ? 1001 : next_index++;
      r.instrument_token = (r.exchange_token << 8) | 9u;
      r.name = r.tradingsymbol;
      r.tick_size = Price::Raw(0, 1);
      r.lot_size = 0;
      r.instrument_type = "EQ";
      r.segment = "INDICES";
      r.exchange = ins.id.venue().value() == "NSE" ? "NSE" : ins.id.venue().value();
    } else {
      r.exchange_token = next_derivative++;
      r.instrument_token = (r.exchange_token << 8) | 2u;
      r.name = DerivativeName(ins.underlying);
      r.expiry = FormatDate(IstDate(ins.expiration));
      r.tick_size = ins.tick_size;
      r.lot_size = ins.lot_size.raw() / kFixedScale;
      if (ins.instrument_class == InstrumentClass::kOption) {
        r.strike = ins.strike;
        r.instrument_type = ins.option_kind == OptionKind::kCall ? "CE" : "PE";
        r.segment = "NFO-OPT";
      } else {
        r.instrument_type = "FUT";
        r.segment = "NFO-FUT";
      }
      r.exchange = "NFO";
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace nacre::kite_emu
