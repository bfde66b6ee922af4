#include "adapters/zerodha/kite_instrument_map.h"

#include <fmt/format.h>

#include "core/fixed.h"
#include "nse/session.h"
#include "nse/symbols.h"

namespace nacre {

namespace {

SessionHours HoursOn(const CivilDate& date, const NseCalendar& calendar) {
  return calendar.SessionFor(date).value_or(calendar.normal_hours());
}

// What the universe's rules say about one derivative row, and the instrument built from it.
struct Derivative {
  ExpiryKind kind = ExpiryKind::kWeekly;
  UnixNanos activation, expiration;
};

// Whether a derivative row is of `underlying`: its `name` says so (Kite's dump), or, when the
// name is empty (Zerodha's mock dump), its symbol is the underlying followed by the year.
bool OfUnderlying(const KiteInstrumentRow& r, std::string_view underlying) {
  if (!r.name.empty()) return r.name == underlying;
  const std::string_view s = r.tradingsymbol;
  return s.size() > underlying.size() && s.substr(0, underlying.size()) == underlying &&
         s[underlying.size()] >= '0' && s[underlying.size()] <= '9';
}

}  // namespace

Result<KiteInstrumentMap> KiteInstrumentMap::Build(const std::vector<KiteInstrumentRow>& rows,
                                                   std::string_view source,
                                                   const KiteInstrumentMapConfig& config) {
  KiteInstrumentMap m;
  const NseCalendar& cal = config.calendar;
  std::unordered_map<std::uint32_t, std::size_t> token_line;
  std::unordered_map<std::string, std::size_t> key_line;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const KiteInstrumentRow& r = rows[i];
    const std::size_t line = i + 2;  // line 1 is the header
    auto where = [&] { return fmt::format("{}:{}: {}", source, line, r.tradingsymbol); };
    const bool opt = r.segment == "NFO-OPT";
    const bool fut = r.segment == "NFO-FUT";
    const bool idx = r.segment == "INDICES";
    if (opt && r.instrument_type != "CE" && r.instrument_type != "PE") {
      return MakeError(
          fmt::format("{}: instrument_type '{}' in segment NFO-OPT (expected CE or PE)", where(),
                      r.instrument_type));
    }
    if (fut && r.instrument_type != "FUT") {
      return MakeError(fmt::format("{}: instrument_type '{}' in segment NFO-FUT (expected FUT)",
                                   where(), r.instrument_type));
    }
    const OptionUniverse* u = nullptr;
    for (const OptionUniverse& c : config.underlyings) {
      if ((idx && r.tradingsymbol == c.underlying_id.symbol().value()) ||
          ((opt || fut) && OfUnderlying(r, c.underlying))) {
        u = &c;
        break;
      }
    }
    if (u == nullptr) {
      ++m.skipped_;
      continue;
    }
    KiteInstrumentRef ref{r.instrument_token, r.exchange, r.tradingsymbol};
    if (auto t = token_line.find(r.instrument_token); t != token_line.end()) {
      return MakeError(fmt::format("{}: instrument_token {} already on line {}", where(),
                                   r.instrument_token, t->second));
    }
    if (auto k = key_line.find(ref.Key()); k != key_line.end()) {
      return MakeError(fmt::format("{}: {} already on line {}", where(), ref.Key(), k->second));
    }

    Result<Instrument> made = MakeError("unset");
    if (idx) {
      // Kite's dump gives an index no tick (0.0): the universe's tick, as the catalog has it.
      made = MakeIndex(u->underlying_id, u->price_precision, u->tick_size);
    } else {
      if (r.expiry.empty()) return MakeError(fmt::format("{}: no expiry on a derivative", where()));
      auto date = ParseDate(r.expiry);
      if (!date) return MakeError(fmt::format("{}: expiry: {}", where(), date.error()));
      if (r.exchange != "NFO") {
        return MakeError(fmt::format("{}: exchange '{}' in segment {} (expected NFO)", where(),
                                     r.exchange, r.segment));
      }
      if (r.lot_size <= 0) {
        return MakeError(fmt::format("{}: lot_size {} is not positive", where(), r.lot_size));
      }
      if (!r.tick_size.is_positive()) {
        return MakeError(
            fmt::format("{}: tick_size {} is not positive", where(), KiteNumberText(r.tick_size)));
      }
      const ExpiryRules& rules = u->expiry_rules;
      // The expiry against the calendar: futures expire with the monthly contract.
      Derivative d;
      if (rules.IsMonthlyExpiry(*date, cal)) {
        d.kind = ExpiryKind::kMonthly;
      } else if (!fut && rules.IsExpiry(*date, cal)) {
        d.kind = ExpiryKind::kWeekly;
      } else {
        m.findings_.push_back(
            fmt::format("{}: expiry {} is not an NSE {} expiry day of {} per the calendar", where(),
                        r.expiry, fut ? "monthly" : "weekly or monthly", u->underlying));
        // The symbol's form says which kind Kite means (a monthly symbol has no day).
        auto parts = ParseSymbolParts(r.tradingsymbol, u->underlying);
        d.kind = fut || (parts && parts->expiry_kind() == ExpiryKind::kMonthly)
                     ? ExpiryKind::kMonthly
                     : ExpiryKind::kWeekly;
      }
      const CivilDate listed = ListingDate({*date, d.kind}, *u, cal);
      d.expiration = SessionClose(*date, HoursOn(*date, cal));
      d.activation = SessionOpen(listed, HoursOn(listed, cal));
      if (d.activation >= d.expiration) d.activation = SessionOpen(*date, HoursOn(*date, cal));

      auto lot = u->lot_sizes.LotSize(u->underlying, *date, d.kind, listed);
      if (!lot) {
        m.findings_.push_back(
            fmt::format("{}: lot size {} not checked: {}", where(), r.lot_size, lot.error()));
      } else if (*lot != r.lot_size) {
        m.findings_.push_back(fmt::format(
            "{}: lot size {} differs from the NSE lot-size history's {} for the {} expiry", where(),
            r.lot_size, *lot, r.expiry));
      }
      if (r.tick_size != u->tick_size) {
        m.findings_.push_back(fmt::format("{}: tick size {} differs from NSE's {}", where(),
                                          KiteNumberText(r.tick_size), u->tick_size.ToString()));
      }

      InstrumentSpec spec;
      spec.id = InstrumentId(Symbol(r.tradingsymbol), u->venue);
      spec.raw_symbol = Symbol(r.tradingsymbol);
      spec.price_precision = u->price_precision;
      spec.tick_size = Price::Raw(r.tick_size.raw(), u->price_precision);
      spec.lot_size = Quantity::FromInt(r.lot_size);
      if (opt) {
        if (!FitsPrecision(r.strike.raw(), u->price_precision) || !r.strike.is_positive()) {
          return MakeError(fmt::format("{}: strike {} is not a positive price of {} decimals",
                                       where(), KiteNumberText(r.strike), u->price_precision));
        }
        if (!FitsPrecision(r.tick_size.raw(), u->price_precision)) {
          return MakeError(fmt::format("{}: tick_size {} finer than {} decimals", where(),
                                       KiteNumberText(r.tick_size), u->price_precision));
        }
        const OptionKind kind = r.instrument_type == "CE" ? OptionKind::kCall : OptionKind::kPut;
        const Price strike = Price::Raw(r.strike.raw(), u->price_precision);
        auto symbol = FormatOptionSymbol({u->underlying, *date, d.kind, strike, kind});
        if (!symbol || *symbol != r.tradingsymbol) {
          m.findings_.push_back(fmt::format("{}: NSE's symbol for this contract is {}", where(),
                                            symbol ? *symbol : symbol.error()));
        }
        if (u->freeze_quantity) spec.freeze_quantity = Quantity::FromInt(*u->freeze_quantity);
        made = MakeOption(spec, u->underlying_id, kind, strike, d.activation, d.expiration);
      } else {
        made = MakeFuture(spec, u->underlying_id, d.activation, d.expiration);
      }
    }
    if (!made) return MakeError(fmt::format("{}: {}", where(), made.error()));
    const std::size_t at = m.instruments_.size();
    if (m.by_id_.count(made->id) != 0) {
      return MakeError(fmt::format("{}: instrument {} twice", where(), made->id.value()));
    }
    token_line.emplace(r.instrument_token, line);
    key_line.emplace(ref.Key(), line);
    m.by_token_.emplace(r.instrument_token, at);
    m.by_key_.emplace(ref.Key(), at);
    m.by_id_.emplace(made->id, at);
    m.instruments_.push_back(std::move(*made));
    m.refs_.push_back(std::move(ref));
  }
  return m;
}

const Instrument* KiteInstrumentMap::Find(const InstrumentId& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &instruments_[it->second];
}

std::optional<InstrumentId> KiteInstrumentMap::ByToken(std::uint32_t token) const {
  auto it = by_token_.find(token);
  if (it == by_token_.end()) return std::nullopt;
  return instruments_[it->second].id;
}

std::optional<InstrumentId> KiteInstrumentMap::BySymbol(std::string_view exchange,
                                                        std::string_view tradingsymbol) const {
  return ByKey(fmt::format("{}:{}", exchange, tradingsymbol));
}

std::optional<InstrumentId> KiteInstrumentMap::ByKey(std::string_view key) const {
  auto it = by_key_.find(std::string(key));
  if (it == by_key_.end()) return std::nullopt;
  return instruments_[it->second].id;
}

const KiteInstrumentRef* KiteInstrumentMap::RefOf(const InstrumentId& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &refs_[it->second];
}

std::optional<std::uint32_t> KiteInstrumentMap::TokenOf(const InstrumentId& id) const {
  const KiteInstrumentRef* r = RefOf(id);
  if (r == nullptr) return std::nullopt;
  return r->token;
}

std::int64_t KiteInstrumentDay(UnixNanos now) {
  const CivilDate date = IstDate(now);
  const std::int64_t day = DaysFromCivil(date);
  return now < FromIst(CivilDateTime{date, 8, 30, 0, 0}) ? day - 1 : day;
}

const Instrument* FirstExpiredBefore(const KiteInstrumentMap& map, std::int64_t day) {
  for (const Instrument& i : map.instruments()) {
    if (!i.has_expiry() || i.expiration.is_zero()) continue;
    if (IstDayNumber(i.expiration) < day) return &i;
  }
  return nullptr;
}

KiteInstrumentRefresh RefreshKiteInstrumentMap(const KiteInstrumentMap& old,
                                               KiteInstrumentMap fresh,
                                               const std::set<InstrumentId>& held) {
  KiteInstrumentRefresh out;
  for (const Instrument& i : fresh.instruments()) {
    if (old.Find(i.id) == nullptr) out.added.push_back(i);
  }
  for (std::size_t k = 0; k < old.instruments_.size(); ++k) {
    const Instrument& i = old.instruments_[k];
    if (fresh.Find(i.id) != nullptr) continue;
    if (held.count(i.id) == 0) {
      out.dropped.push_back(i.id);
      continue;
    }
    // Held: kept with its Kite names, where the new dump has not given them to another.
    const KiteInstrumentRef& ref = old.refs_[k];
    const std::size_t at = fresh.instruments_.size();
    fresh.by_id_.emplace(i.id, at);
    fresh.by_token_.emplace(ref.token, at);  // no-op when the token is taken
    fresh.by_key_.emplace(ref.Key(), at);
    fresh.instruments_.push_back(i);
    fresh.refs_.push_back(ref);
    out.kept.push_back(i.id);
  }
  out.findings = fresh.findings();
  out.map = std::move(fresh);
  return out;
}

}  // namespace nacre
