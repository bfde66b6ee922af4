// The emulator's instruments dump, built from a Nacre catalog's instrument definitions with
// tokens assigned deterministically: NIFTY 50 is Kite's 256265 (exchange token 1001, segment
// INDICES, tick and lot 0 as Kite lists indices); other indices follow from exchange token
// 2001; derivatives, sorted by id, get exchange tokens 1, 2, … on NFO (token = et << 8 | 2).
#pragma once

#include <string>
#include <vector>

#include "adapters/zerodha/kite_instruments.h"
#include "model/instrument.h"

namespace nacre::kite_emu {

std::vector<KiteInstrumentRow> KiteInstrumentTable(std::vector<Instrument> instruments);

}  // namespace nacre::kite_emu
