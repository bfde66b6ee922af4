// KiteInstrumentMap: the Kite instruments dump (kite_instruments.h) turned into Nacre
// instruments and the two-way maps a live node needs: instrument_token ↔ InstrumentId (the
// ticker speaks tokens) and "EXCHANGE:TRADINGSYMBOL" ↔ InstrumentId (REST speaks symbols).
//
// Only the underlyings asked for are kept, each described by its nse::OptionUniverse (NIFTY:
// OptionUniverse::Nifty()): the INDICES row whose tradingsymbol is the universe's index symbol
// ("NIFTY 50" → "NIFTY 50.NSE"), and the NFO-OPT / NFO-FUT rows whose `name` is the
// underlying ("NIFTY"; when the name is empty, as in Zerodha's mock dump, the symbol's prefix).
// Ids follow Nacre's conventions (the ones the catalog, the NSE contract
// generator and the Kite emulator use): a derivative is "{tradingsymbol}.NFO" with the
// tradingsymbol as raw_symbol, an index is the universe's underlying id. Fields come from the
// dump where it carries them (lot, tick, strike, kind, expiry); expiration is the close of
// the expiry day's session, activation the listing day's open per the universe's listing
// model (contracts.h; the dump does not say when a contract was listed), the freeze quantity
// the universe's (options only), precision the universe's.
//
// Cross-check: every kept option and future is compared with Nacre's own NSE contract rules
// (the universe's expiry calendar, lot-size history and tick size, and the symbol format);
// a mismatch becomes a human-readable finding the caller reports (the broker's values are
// used: orders must satisfy the broker). Never silent, never fatal. A malformed row (an
// unknown instrument_type in a NFO-OPT/NFO-FUT row, a kept derivative without an expiry or a
// strike off the price precision, a token or symbol twice) is an error naming the source and
// line (line 1 is the header).
// Immutable once built; const methods are thread-safe (the ticker's I/O thread reads it).
//
// Daily refresh (RefreshKiteInstrumentMap): a live node builds a map from the day's new dump
// and compares it with the map it runs on: contracts listed since are added; a contract no
// longer in the dump (expired, delisted) is dropped, unless the node holds a position or a
// working order in it: then it is kept in the new map (its token and symbol too, unless the
// new dump gives them to another contract) and reported, loudly, for the operator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/zerodha/kite_instruments.h"
#include "core/result.h"
#include "model/instrument.h"
#include "nse/calendar.h"
#include "nse/contracts.h"

namespace nacre {

struct KiteInstrumentMapConfig {
  std::vector<OptionUniverse> underlyings{OptionUniverse::Nifty()};
  NseCalendar calendar;  // the expiry days and session hours (load the holiday years in use)
};

// How Kite names one instrument.
struct KiteInstrumentRef {
  std::uint32_t token = 0;
  std::string exchange;       // "NFO", "NSE"
  std::string tradingsymbol;  // "NIFTY2610624000CE", "NIFTY 50"
  // "NFO:NIFTY2610624000CE", as /quote keys it.
  std::string Key() const { return exchange + ":" + tradingsymbol; }
};

struct KiteInstrumentRefresh;

class KiteInstrumentMap {
 public:
  KiteInstrumentMap() = default;
  // `source` names the dump in errors ("instruments.csv", "GET /instruments/NFO").
  static Result<KiteInstrumentMap> Build(const std::vector<KiteInstrumentRow>& rows,
                                         std::string_view source,
                                         const KiteInstrumentMapConfig& config);

  // Kept instruments, in the dump's order.
  const std::vector<Instrument>& instruments() const { return instruments_; }
  // Mismatches with Nacre's NSE rules, one sentence each (the caller logs or alerts them).
  const std::vector<std::string>& findings() const { return findings_; }
  // Rows left out: other segments or other underlyings.
  std::size_t skipped() const { return skipped_; }
  std::size_t size() const { return instruments_.size(); }

  const Instrument* Find(const InstrumentId& id) const;
  std::optional<InstrumentId> ByToken(std::uint32_t token) const;
  std::optional<InstrumentId> BySymbol(std::string_view exchange,
                                       std::string_view tradingsymbol) const;
  // "EXCHANGE:TRADINGSYMBOL".
  std::optional<InstrumentId> ByKey(std::string_view key) const;
  const KiteInstrumentRef* RefOf(const InstrumentId& id) const;
  std::optional<std::uint32_t> TokenOf(const InstrumentId& id) const;

 private:
  friend KiteInstrumentRefresh RefreshKiteInstrumentMap(
      const KiteInstrumentMap& old, KiteInstrumentMap fresh, const std::set<InstrumentId>& held);
  std::vector<Instrument> instruments_;
  std::vector<KiteInstrumentRef> refs_;  // parallel to instruments_
  std::vector<std::string> findings_;
  std::size_t skipped_ = 0;
  std::unordered_map<std::uint32_t, std::size_t> by_token_;
  std::unordered_map<std::string, std::size_t> by_key_;
  std::unordered_map<InstrumentId, std::size_t, IdHash> by_id_;
};

// What a refresh found, and the map to run on from now.
struct KiteInstrumentRefresh {
  KiteInstrumentMap map;                // the new dump's, with `kept` added
  std::vector<Instrument> added;        // in the new dump only (new listings)
  std::vector<InstrumentId> dropped;    // in the old map only, nothing held in them
  std::vector<InstrumentId> kept;       // in the old map only, held: kept, to be reported
  std::vector<std::string> findings;    // the new map's cross-check findings
};

// The IST day (days since the epoch) whose dump is current at `now`: Kite publishes the day's
// dump before 08:30 IST, so before then it is the previous day's.
std::int64_t KiteInstrumentDay(UnixNanos now);

// The first contract of `map` that expired on an IST day before `day` (KiteInstrumentDay), or
// null. Kite's dump of a day lists only contracts expiring that day or later, so a dump that
// lists one is an earlier day's (read before Kite replaced it).
const Instrument* FirstExpiredBefore(const KiteInstrumentMap& map, std::int64_t day);

// `held`: the instruments of the account's open positions and working orders.
KiteInstrumentRefresh RefreshKiteInstrumentMap(const KiteInstrumentMap& old,
                                               KiteInstrumentMap fresh,
                                               const std::set<InstrumentId>& held);

}  // namespace nacre
