#include "apps/spreads/greeks_actor.h"

#include <gtest/gtest.h>

#include "pricing/black.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

constexpr double kForward = 24037.5;

double SmileVol(double strike) {
  const double m = std::log(strike / kForward);
  return 0.13 - 0.25 * m + 1.5 * m * m;
}

class GreeksActorTest : public ::testing::Test {
 protected:
  GreeksActorTest() : tk_(testkit::QuietKernelConfig(), FromIst(2026, 1, 2, 10, 0)) {
    GreeksActorConfig c;
    c.underlying = InstrumentId::Parse("NIFTY 50.NSE").value();
    c.rate = 0.065;
    auto a = std::make_unique<GreeksActor>("Greeks", c);
    actor_ = a.get();
    EXPECT_TRUE(tk_.kernel().trader().AddActor(std::move(a)).ok());
    const double t = static_cast<double>(FromIst(2026, 1, 6, 15, 30) - tk_.now()) /
                     static_cast<double>(365 * kNanosPerDay);
    for (int k = 23800; k <= 24300; k += 50) {
      for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
        const Instrument ins = testkit::NiftyOption(kind, std::to_string(k).c_str());
        tk_.kernel().cache().AddInstrument(ins);
        const double px = pricing::Black76Price(kind, kForward, k, t, SmileVol(k), 0.065);
        QuoteTick q;
        q.instrument_id = ins.id;
        q.bid_price = Price::FromDouble(px - 0.25, 4);
        q.ask_price = Price::FromDouble(px + 0.25, 4);
        q.bid_size = q.ask_size = testkit::Qty(650);
        q.ts_event = q.ts_init = tk_.now();
        tk_.kernel().cache().AddQuote(q);
      }
    }
    EXPECT_TRUE(tk_.kernel().Start().ok());
  }
  testkit::TestKernel tk_;
  GreeksActor* actor_ = nullptr;
};

TEST_F(GreeksActorTest, PublishesForwardAtmAndSmileFromQuotesOnItsTimer) {
  testkit::BusRecorder<ChainGreeks> rec(
      tk_.kernel().bus(), GreeksActor::Topic(InstrumentId::Parse("NIFTY 50.NSE").value()));
  tk_.Advance(59 * kNanosPerSecond);
  EXPECT_TRUE(rec.empty());
  tk_.Advance(kNanosPerSecond);
  ASSERT_EQ(rec.size(), 1u);
  const ChainGreeks& chain = rec[0];
  EXPECT_EQ(chain.expiry, FromIst(2026, 1, 6, 15, 30));
  EXPECT_NEAR(chain.forward, kForward, 0.05);
  EXPECT_EQ(chain.atm_strike, testkit::Px("24050"));
  EXPECT_EQ(chain.contracts.size(), 22u);
  for (const ContractGreeks& c : chain.contracts) {
    EXPECT_NEAR(c.iv, SmileVol(c.strike.AsDouble()), 2e-4) << c.instrument.value();
    if (c.kind == OptionKind::kCall) {
      EXPECT_GT(c.greeks.delta, 0);
    } else {
      EXPECT_LT(c.greeks.delta, 0);
    }
    EXPECT_LT(c.greeks.theta, 0);
  }
  const ContractGreeks* atm_call =
      actor_->Find(testkit::NiftyOption(OptionKind::kCall, "24050").id);
  ASSERT_NE(atm_call, nullptr);
  EXPECT_NEAR(atm_call->greeks.delta, 0.49, 0.03);
}

TEST_F(GreeksActorTest, StaleQuotesAndExpiredContractsAreLeftOut) {
  // Ten minutes later with no new quotes: every quote is stale, so no chain at all.
  tk_.Advance(10 * kNanosPerMinute);
  actor_->ComputeNow();
  EXPECT_TRUE(actor_->latest().empty());
  // After expiry the contracts are gone even with fresh quotes.
  tk_.AdvanceTo(FromIst(2026, 1, 7, 9, 30));
  EXPECT_EQ(actor_->ComputeNow(), 0u);
}

}  // namespace
}  // namespace nacre
