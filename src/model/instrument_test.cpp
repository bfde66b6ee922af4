#include "model/instrument.h"

#include <gtest/gtest.h>

#include <string>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const UnixNanos kActivation = FromIst(2025, 12, 1, 9, 15);
const UnixNanos kExpiry = FromIst(2026, 1, 6, 15, 30);

InstrumentSpec OptionSpec() {
  InstrumentSpec s;
  s.id = MustInstrumentId("NIFTY2610624000CE.NFO");
  s.lot_size = Qty(65);
  s.freeze_quantity = Qty(1800);
  s.tick_size = Px("0.05");
  return s;
}

Result<Instrument> Option(const InstrumentSpec& s, const char* strike = "24000") {
  return MakeOption(s, MustInstrumentId("NIFTY 50.NSE"), OptionKind::kCall, Px(strike), kActivation,
                    kExpiry);
}

Result<Instrument> Future(const InstrumentSpec& s) {
  return MakeFuture(s, MustInstrumentId("NIFTY 50.NSE"), kActivation, kExpiry);
}

TEST(Instrument, OptionFactoryFillsEveryField) {
  InstrumentSpec s = OptionSpec();
  s.margin_init_raw = 120'000'000;  // 12%
  s.margin_maint_raw = 100'000'000;
  auto r = MakeOption(s, MustInstrumentId("NIFTY 50.NSE"), OptionKind::kPut, Px("24000"),
                      kActivation, kExpiry);
  ASSERT_TRUE(r.ok()) << r.error();
  const Instrument& i = *r;
  EXPECT_EQ(i.id.value(), "NIFTY2610624000CE.NFO");
  EXPECT_EQ(i.instrument_class, InstrumentClass::kOption);
  EXPECT_EQ(i.raw_symbol.value(), "NIFTY2610624000CE");  // defaults to the id's symbol
  EXPECT_EQ(i.currency, Currency::INR());
  EXPECT_EQ(i.price_precision, 2);
  EXPECT_EQ(i.tick_size, Px("0.05"));
  EXPECT_EQ(i.size_precision, 0);
  EXPECT_EQ(i.lot_size, Qty(65));
  EXPECT_EQ(i.multiplier, 1);
  ASSERT_TRUE(i.freeze_quantity.has_value());
  EXPECT_EQ(*i.freeze_quantity, Qty(1800));
  EXPECT_EQ(i.margin_init_raw, 120'000'000);
  EXPECT_EQ(i.margin_maint_raw, 100'000'000);
  EXPECT_EQ(i.underlying.value(), "NIFTY 50.NSE");
  EXPECT_EQ(i.option_kind, OptionKind::kPut);
  EXPECT_EQ(i.strike, Px("24000"));
  EXPECT_EQ(i.activation, kActivation);
  EXPECT_EQ(i.expiration, kExpiry);
  EXPECT_TRUE(i.is_tradable());
  EXPECT_TRUE(i.has_expiry());
}

TEST(Instrument, TestkitFixturesAreConsistent) {
  const Instrument call = testkit::NiftyOption();
  EXPECT_EQ(call.id.value(), "NIFTY2610624000CE.NFO");
  EXPECT_EQ(call.option_kind, OptionKind::kCall);
  const Instrument put = testkit::NiftyOption(OptionKind::kPut, "23500");
  EXPECT_EQ(put.id.value(), "NIFTY2610623500PE.NFO");
  EXPECT_EQ(put.strike, Px("23500"));
  const Instrument fut = testkit::NiftyFuture();
  EXPECT_EQ(fut.instrument_class, InstrumentClass::kFuture);
  EXPECT_EQ(fut.expiration, FromIst(2024, 1, 25, 15, 30));
  EXPECT_EQ(testkit::NiftyFuture(50).lot_size, Qty(50));
}

TEST(Instrument, ExplicitRawSymbolIsKept) {
  InstrumentSpec s = OptionSpec();
  s.raw_symbol = Symbol("NIFTY26JAN24000CE");
  auto r = Option(s);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->raw_symbol.value(), "NIFTY26JAN24000CE");
}

TEST(Instrument, TickSizeTakesThePricePrecision) {
  InstrumentSpec s = OptionSpec();
  s.tick_size = Px("0.1");  // written with 1 decimal
  s.price_precision = 2;
  auto r = Option(s);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->tick_size.precision(), 2);
  EXPECT_EQ(r->tick_size.ToString(), "0.10");
}

TEST(Instrument, SizePrecisionComesFromTheLotSize) {
  InstrumentSpec s = OptionSpec();
  s.lot_size = *Quantity::Parse("0.5");
  s.freeze_quantity.reset();
  auto r = Future(s);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->size_precision, 1);
}

TEST(Instrument, IndexIsNotTradableAndNeverExpires) {
  const Instrument idx = testkit::NiftyIndex();
  EXPECT_EQ(idx.instrument_class, InstrumentClass::kIndex);
  EXPECT_EQ(idx.id.value(), "NIFTY 50.NSE");
  EXPECT_FALSE(idx.is_tradable());
  EXPECT_FALSE(idx.has_expiry());
  EXPECT_FALSE(idx.IsExpired(UnixNanos(0)));
  EXPECT_FALSE(idx.IsExpired(FromIst(2099, 12, 31, 23, 59)));
  EXPECT_TRUE(testkit::NiftyFuture().is_tradable());
}

TEST(Instrument, IsExpiredFromTheExpiryInstantOn) {
  const Instrument opt = testkit::NiftyOption();
  EXPECT_FALSE(opt.IsExpired(kExpiry - 1));
  EXPECT_TRUE(opt.IsExpired(kExpiry));
  EXPECT_TRUE(opt.IsExpired(kExpiry + kNanosPerDay));
  EXPECT_FALSE(opt.IsExpired(kActivation));
}

TEST(Instrument, OnTickGrid) {
  const Instrument opt = testkit::NiftyOption();  // tick 0.05
  EXPECT_TRUE(opt.OnTickGrid(Px("24000.05")));
  EXPECT_TRUE(opt.OnTickGrid(Px("24000.10")));
  EXPECT_TRUE(opt.OnTickGrid(Px("0.05")));
  EXPECT_TRUE(opt.OnTickGrid(Px("0")));
  EXPECT_TRUE(opt.OnTickGrid(Px("100.1")));  // precision does not matter, value does
  EXPECT_TRUE(opt.OnTickGrid(Px("100.150")));
  EXPECT_FALSE(opt.OnTickGrid(Px("24000.07")));
  EXPECT_FALSE(opt.OnTickGrid(Px("0.01")));
  EXPECT_FALSE(opt.OnTickGrid(Px("100.125")));
  EXPECT_FALSE(opt.OnTickGrid(Px("100.000000001")));
  // The grid starts at zero: negative prices are off it.
  EXPECT_FALSE(opt.OnTickGrid(Px("-0.05")));
  EXPECT_FALSE(opt.OnTickGrid(Px("-100")));
}

TEST(Instrument, IsLotMultiple) {
  const Instrument opt = testkit::NiftyOption();  // lot 65
  EXPECT_TRUE(opt.IsLotMultiple(Qty(65)));
  EXPECT_TRUE(opt.IsLotMultiple(Qty(130)));
  EXPECT_TRUE(opt.IsLotMultiple(Qty(1800 / 65 * 65)));
  EXPECT_FALSE(opt.IsLotMultiple(Qty(64)));
  EXPECT_FALSE(opt.IsLotMultiple(Qty(66)));
  EXPECT_FALSE(opt.IsLotMultiple(Qty(1)));
  EXPECT_FALSE(opt.IsLotMultiple(*Quantity::Parse("65.5")));
}

TEST(Instrument, MakePriceRoundsToThePricePrecision) {
  const Instrument opt = testkit::NiftyOption();
  const Price p = opt.MakePrice(24000.049'9);
  EXPECT_EQ(p, Px("24000.05"));
  EXPECT_EQ(p.precision(), 2);
}

TEST(InstrumentFactories, RejectInconsistentSpecs) {
  struct Case {
    const char* name;
    void (*mutate)(InstrumentSpec&);
    const char* reason;
  };
  const Case cases[] = {
      {"empty id", [](InstrumentSpec& s) { s.id = InstrumentId(); }, "instrument id is empty"},
      {"precision 10", [](InstrumentSpec& s) { s.price_precision = 10; },
       "price_precision 10 outside [0, 9]"},
      {"precision -1", [](InstrumentSpec& s) { s.price_precision = -1; },
       "price_precision -1 outside [0, 9]"},
      {"zero tick", [](InstrumentSpec& s) { s.tick_size = Px("0"); }, "tick_size must be positive"},
      {"negative tick", [](InstrumentSpec& s) { s.tick_size = Px("-0.05"); },
       "tick_size must be positive"},
      {"tick finer than precision", [](InstrumentSpec& s) { s.tick_size = Px("0.005"); },
       "tick_size 0.005 finer than price_precision 2"},
      {"zero lot", [](InstrumentSpec& s) { s.lot_size = Qty(0); }, "lot_size must be positive"},
      {"zero multiplier", [](InstrumentSpec& s) { s.multiplier = 0; },
       "multiplier must be positive"},
      {"negative multiplier", [](InstrumentSpec& s) { s.multiplier = -1; },
       "multiplier must be positive"},
      {"freeze below lot", [](InstrumentSpec& s) { s.freeze_quantity = Qty(64); },
       "freeze_quantity below lot_size"},
      {"negative initial margin", [](InstrumentSpec& s) { s.margin_init_raw = -1; },
       "margin ratios must be non-negative"},
      {"negative maintenance margin", [](InstrumentSpec& s) { s.margin_maint_raw = -1; },
       "margin ratios must be non-negative"},
  };
  for (const Case& c : cases) {
    InstrumentSpec s = OptionSpec();
    c.mutate(s);
    auto opt = Option(s);
    ASSERT_FALSE(opt.ok()) << c.name;
    EXPECT_TRUE(Contains(opt.error(), c.reason)) << c.name << ": " << opt.error();
    auto fut = Future(s);
    ASSERT_FALSE(fut.ok()) << c.name;
    EXPECT_TRUE(Contains(fut.error(), c.reason)) << c.name << ": " << fut.error();
    if (!s.id.empty()) {
      EXPECT_TRUE(Contains(opt.error(), "NIFTY2610624000CE.NFO: ")) << opt.error();
    }
  }
}

TEST(InstrumentFactories, FreezeEqualToLotIsAllowed) {
  InstrumentSpec s = OptionSpec();
  s.freeze_quantity = Qty(65);
  EXPECT_TRUE(Option(s).ok());
}

TEST(InstrumentFactories, ExpirationMustFollowActivation) {
  const InstrumentId und = MustInstrumentId("NIFTY 50.NSE");
  for (UnixNanos expiry : {kActivation, kActivation - 1}) {
    auto fut = MakeFuture(OptionSpec(), und, kActivation, expiry);
    ASSERT_FALSE(fut.ok());
    EXPECT_TRUE(Contains(fut.error(), "expiration must be after activation")) << fut.error();
    auto opt = MakeOption(OptionSpec(), und, OptionKind::kCall, Px("24000"), kActivation, expiry);
    ASSERT_FALSE(opt.ok());
    EXPECT_TRUE(Contains(opt.error(), "expiration must be after activation")) << opt.error();
  }
  EXPECT_TRUE(MakeFuture(OptionSpec(), und, kActivation, kActivation + 1).ok());
}

TEST(InstrumentFactories, OptionStrikeMustBePositive) {
  for (const char* strike : {"0", "-100"}) {
    auto r = Option(OptionSpec(), strike);
    ASSERT_FALSE(r.ok()) << strike;
    EXPECT_TRUE(Contains(r.error(), "strike must be positive")) << r.error();
  }
}

TEST(InstrumentFactories, IndexValidation) {
  const InstrumentId id = MustInstrumentId("NIFTY 50.NSE");
  auto ok = MakeIndex(id, 2, Px("0.05"));
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_FALSE(ok->is_tradable());
  EXPECT_EQ(ok->raw_symbol.value(), "NIFTY 50");
  auto bad_precision = MakeIndex(id, 10, Px("0.05"));
  ASSERT_FALSE(bad_precision.ok());
  EXPECT_TRUE(Contains(bad_precision.error(), "outside [0, 9]")) << bad_precision.error();
  auto bad_tick = MakeIndex(id, 1, Px("0.05"));
  ASSERT_FALSE(bad_tick.ok());
  EXPECT_TRUE(Contains(bad_tick.error(), "finer than price_precision 1")) << bad_tick.error();
  auto zero_tick = MakeIndex(id, 2, Px("0"));
  ASSERT_FALSE(zero_tick.ok());
  EXPECT_TRUE(Contains(zero_tick.error(), "tick_size must be positive")) << zero_tick.error();
  EXPECT_FALSE(MakeIndex(InstrumentId(), 2, Px("0.05")).ok());
}

}  // namespace
}  // namespace nacre
