// Nacre's charge code against Zerodha's own Kite Connect fixtures (../shared/data/kite-mocks):
// every NSE index-option order in virtual_contract_note.json and basket_margins.json /
// order_margins.json is recomputed with ChargeSchedule::ZerodhaIndexOptions() and
// ContractNote, component by component. The fixtures are July-2023 NIFTY contracts, inside the
// 1-Apr-2023..30-Sep-2024 rate period, so they check that period's rates (exchange 0.05%,
// STT 0.0625% on sells, SEBI ₹10/crore, GST 18%). Skips when the fixtures are absent.
//
// What the fixtures carry and how they are read:
// - virtual_contract_note.json gives side, quantity and price (premium = quantity x price).
//   It is a contract note, where Zerodha includes NSE's IPFT charge in
//   exchange_turnover_charge (Zerodha support, "What are IPFT charges?"): compared with
//   Nacre's exchange + IPFT.
// - basket_margins.json gives the charges of each order but neither side, price nor quantity:
//   the premium is the SEBI fee / SEBI rate, the side is SELL when STT was charged (STT is
//   due on option sales only), and the margin calculator leaves IPFT out of
//   exchange_turnover_charge: compared with Nacre's exchange alone.
// - Stamp duty is 0 in every option fixture (the Kite calculators leave it out); Nacre charges
//   0.003% on buys (Indian Stamp Act, since 1-Jul-2020), so totals are compared without it.
// Exact components are compared exactly (at 10^-9 rupee); GST, which Zerodha computes in binary
// floating point and Nacre on exact figures with IPFT in its base, is compared to the paisa.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/fixed.h"
#include "nse/charges.h"
#include "nse/expiry.h"
#include "nse/symbols.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

const fs::path kKite = fs::path(NACRE_SOURCE_DIR) / "../shared/data/kite-mocks";

// A JSON number's text as rupees at scale 10^9, rounded half up past 9 decimals (the fixtures'
// binary-float artefacts such as 3.8411187749999995). Non-negative numbers only.
std::int64_t Raw9(const nlohmann::json& v) {
  const std::string text = v.dump();
  const std::size_t dot = text.find('.');
  std::int64_t raw = std::stoll(text.substr(0, dot)) * kFixedScale;
  if (dot == std::string::npos) return raw;
  std::string frac = text.substr(dot + 1);
  EXPECT_EQ(frac.find_first_of("eE"), std::string::npos) << text;
  const bool round_up = frac.size() > 9 && frac[9] >= '5';
  frac.resize(9, '0');
  raw += std::stoll(frac) + (round_up ? 1 : 0);
  return raw;
}

// Raw rupees at 10^9 rounded to paise (half away from zero), as Money.
Money Paise(std::int64_t raw9) { return Money::FromRaw(raw9); }

// premium x rate, exact at 10^9 (the products here have at most 9 decimals).
std::int64_t Times(const Money& premium, ChargeRate rate) {
  const Int128 p = static_cast<Int128>(premium.raw()) * rate.raw();
  EXPECT_EQ(p % kFixedScale, 0) << "more than 9 decimals";
  return static_cast<std::int64_t>(p / kFixedScale);
}

struct FixtureOrder {
  std::string where;  // file and index, for messages
  std::string symbol;
  OrderSide side = OrderSide::kBuy;
  Money premium;
  bool exchange_includes_ipft = false;
  nlohmann::json charges;
};

std::vector<FixtureOrder> ReadFixtures() {
  std::vector<FixtureOrder> out;
  {
    std::ifstream in(kKite / "virtual_contract_note.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    const auto& data = j.at("data");
    for (std::size_t i = 0; i < data.size(); ++i) {
      const auto& o = data[i];
      if (o.at("exchange") != "NFO") continue;
      FixtureOrder f;
      f.where = "virtual_contract_note.json data[" + std::to_string(i) + "]";
      f.symbol = o.at("tradingsymbol");
      f.side = o.at("transaction_type") == "SELL" ? OrderSide::kSell : OrderSide::kBuy;
      auto price = Money::Parse(o.at("price").dump());
      EXPECT_TRUE(price.ok()) << f.where;
      f.premium = Money::FromRaw(price->raw() * o.at("quantity").get<std::int64_t>());
      f.exchange_includes_ipft = true;
      f.charges = o.at("charges");
      out.push_back(f);
    }
  }
  const ChargeRate sebi = ChargeSchedule::ZerodhaIndexOptions().At({2023, 7, 1}).sebi;
  for (const char* file : {"basket_margins.json", "order_margins.json"}) {
    std::ifstream in(kKite / file);
    const nlohmann::json j = nlohmann::json::parse(in);
    const nlohmann::json& orders =
        j.at("data").is_array() ? j.at("data") : j.at("data").at("orders");
    for (std::size_t i = 0; i < orders.size(); ++i) {
      const auto& o = orders[i];
      if (o.at("exchange") != "NFO") continue;
      FixtureOrder f;
      f.where = std::string(file) + " orders[" + std::to_string(i) + "]";
      f.symbol = o.at("tradingsymbol");
      f.charges = o.at("charges");
      f.side = Raw9(f.charges.at("transaction_tax")) > 0 ? OrderSide::kSell : OrderSide::kBuy;
      const Int128 premium_raw =
          static_cast<Int128>(Raw9(f.charges.at("sebi_turnover_charge"))) * kFixedScale /
          sebi.raw();
      f.premium = Money::FromRaw(static_cast<std::int64_t>(premium_raw));
      EXPECT_EQ(Times(f.premium, sebi), Raw9(f.charges.at("sebi_turnover_charge")))
          << f.where << ": the premium is not a whole number of paise";
      out.push_back(f);
    }
  }
  return out;
}

TEST(ChargesAgainstKiteFixtures, EveryNseOptionOrderToTheFixturesFigures) {
  for (const char* f : {"virtual_contract_note.json", "basket_margins.json", "order_margins.json"}) {
    if (!fs::exists(kKite / f)) GTEST_SKIP() << (kKite / f).string() << " not present (../shared)";
  }
  const ChargeSchedule schedule = ChargeSchedule::ZerodhaIndexOptions();
  const ExpiryRules rules = ExpiryRules::Nifty();
  const NseCalendar calendar;  // weekday calendar: July 2023 has no NIFTY expiry holiday
  const std::vector<FixtureOrder> orders = ReadFixtures();
  ASSERT_EQ(orders.size(), 3u) << "one contract-note order and two basket orders expected";
  for (const FixtureOrder& o : orders) {
    SCOPED_TRACE(o.where + " " + o.symbol);
    // The fixtures carry no trade date: the contract's expiry day stands for it (every day the
    // contract traded falls in the same rate period, checked here).
    auto sym = ParseOptionSymbol(o.symbol, rules, calendar);
    ASSERT_TRUE(sym.ok()) << sym.error();
    const CivilDate day = sym->expiry;
    ASSERT_TRUE(CivilDate({2023, 4, 1}) <= day && day <= CivilDate({2024, 9, 30}))
        << FormatDate(day);
    const ChargeRates r = schedule.At(day);
    const nlohmann::json& c = o.charges;

    // Exact components.
    const std::int64_t stt = o.side == OrderSide::kSell ? Times(o.premium, r.stt_sell) : 0;
    EXPECT_EQ(stt, Raw9(c.at("transaction_tax"))) << "STT " << r.stt_sell.ToPercent();
    const std::int64_t exchange = Times(o.premium, r.exchange);
    const std::int64_t ipft = Times(o.premium, r.ipft);
    EXPECT_EQ(o.exchange_includes_ipft ? exchange + ipft : exchange,
              Raw9(c.at("exchange_turnover_charge")))
        << "exchange " << r.exchange.ToPercent() << (o.exchange_includes_ipft ? " + IPFT" : "");
    EXPECT_EQ(Times(o.premium, r.sebi), Raw9(c.at("sebi_turnover_charge"))) << "SEBI";
    EXPECT_EQ(r.brokerage_per_order.raw(), Raw9(c.at("brokerage"))) << "brokerage";
    EXPECT_EQ(Raw9(c.at("stamp_duty")), 0) << "the option fixtures carry no stamp duty";

    // The contract note for this one order, to the paisa.
    ContractNote note(day, r);
    const ChargeBreakdown b = note.OnFill(o.side, o.premium, true);
    auto paise = [&](const char* key) { return Paise(Raw9(c.at(key))).ToString(); };
    EXPECT_EQ(b.stt.ToString(), paise("transaction_tax"));
    EXPECT_EQ(b.sebi.ToString(), paise("sebi_turnover_charge"));
    EXPECT_EQ(b.brokerage.ToString(), paise("brokerage"));
    EXPECT_EQ(b.gst.ToString(), Paise(Raw9(c.at("gst").at("total"))).ToString()) << "GST";
    const Money exch = o.exchange_includes_ipft ? b.exchange + b.ipft : b.exchange;
    EXPECT_EQ(exch.ToString(), paise("exchange_turnover_charge"));
    const Money total = b.Total() - b.stamp - (o.exchange_includes_ipft ? Money() : b.ipft);
    EXPECT_EQ(total.ToString(), paise("total")) << "total without stamp duty";
  }
}

}  // namespace
}  // namespace nacre
