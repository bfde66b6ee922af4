// Cash accounting styles of an INR margin account (NSE F&O as Zerodha books it).
//
// Premium style (options): the premium is cash. A buy pays px x qty x multiplier out of the
// balance on the day of the fill, a sell receives it, every fill's charges leave the balance,
// and the expiry settlement (a closing fill at intrinsic value) moves the balance by exactly
// the settlement cash. An open position is worth its mark value (signed: a long is an asset,
// a short a liability), so equity = balance + Σ mark value.
//
// Futures style (futures, and anything that is not an option): the balance moves only by the
// realized P&L and the charges (net of them: Position::realized_pnl); an open position is
// worth its unrealized P&L, so equity = balance + Σ unrealized.
//
// Both give the same equity up to the rounding of the average open price (9 decimals): the
// difference between the two books is the cost basis of the open premium-style positions.
// Pure functions, no state.
#pragma once

#include <optional>

#include "model/instrument.h"
#include "model/position.h"

namespace nacre {

// True for instruments whose premium moves cash (options).
bool IsPremiumStyle(const Instrument& inst);

// Cash of a premium-style trade that moved a position's signed quantity by `signed_delta_raw`
// (raw fixed point, + bought, − sold) at `px`: −notional for a buy, +notional for a sell,
// notional = px x |delta| x multiplier rounded once to the paisa (Money::Notional). Charges
// are not included.
Money PremiumCash(std::int64_t signed_delta_raw, Price px, std::int64_t multiplier,
                  const Currency& currency);

// Signed mark value of a position: qty x multiplier x mark (+ long, − short), rounded once.
Money MarkValue(const Position& p, Price mark);

// What an open position adds to equity on top of the balance: the mark value for premium
// style (at avg_px_open when there is no mark: the premium paid or received, so equity does
// not jump for a position nobody quoted yet), the unrealized P&L for futures style (zero
// without a mark). Zero for a flat position.
Money EquityValue(const Instrument* inst, const Position& p, std::optional<Price> mark);

}  // namespace nacre
