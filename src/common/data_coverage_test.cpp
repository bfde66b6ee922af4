#include "common/data_coverage.h"

#include <gtest/gtest.h>

namespace nacre {
namespace {

UnixNanos Ist(int y, int m, int d, int h = 9, int mi = 15) { return FromIst(y, m, d, h, mi); }

DataCoverage Sample() {
  DataCoverage c;
  c.Add({DataSeriesKind::kBars, "NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL", Ist(2025, 1, 6),
         Ist(2025, 1, 10, 15, 30)});
  c.Add({DataSeriesKind::kQuotes, "NIFTY 50.NSE", Ist(2025, 1, 6), Ist(2025, 1, 10, 15, 25)});
  c.Add({DataSeriesKind::kQuotes, "NIFTY2510923600CE.NFO", Ist(2025, 1, 7), Ist(2025, 1, 9)});
  c.Add({DataSeriesKind::kQuotes, "NIFTY2510923600PE.NFO", Ist(2025, 1, 7), Ist(2025, 1, 9)});
  c.Add({DataSeriesKind::kQuotes, "NIFTY2510923650CE.NFO", Ist(2025, 1, 8), Ist(2025, 1, 9)});
  c.Add({DataSeriesKind::kQuotes, "NIFTY2510923650PE.NFO", Ist(2025, 1, 8), Ist(2025, 1, 9)});
  return c;
}

TEST(DataCoverage, AnswersPerSeriesInsideTheRunsRange) {
  DataCoverage c = Sample();
  const InstrumentId nifty = *InstrumentId::Parse("NIFTY 50.NSE");
  const InstrumentId bank = *InstrumentId::Parse("NIFTY BANK.NSE");
  EXPECT_TRUE(c.HasInstrumentData(nifty));
  EXPECT_FALSE(c.HasInstrumentData(bank));
  EXPECT_TRUE(c.HasQuotes(*InstrumentId::Parse("NIFTY2510923600CE.NFO")));
  EXPECT_EQ(c.RangeText(), "anywhere in the data");
  // A range after the options' quotes ended: the index still has data, the options none.
  c.SetRange(Ist(2025, 1, 10), Ist(2025, 1, 11));
  c.SetRangeNote("bt.toml:5: 'engine.start'");
  EXPECT_TRUE(c.HasInstrumentData(nifty));
  EXPECT_FALSE(c.HasQuotes(*InstrumentId::Parse("NIFTY2510923600CE.NFO")));
  EXPECT_EQ(c.RangeText(),
            "between 2025-01-10 09:15:00 IST and 2025-01-11 09:15:00 IST (bt.toml:5: "
            "'engine.start')");
  // A range before everything.
  c.SetRange(Ist(2024, 1, 1), Ist(2024, 2, 1));
  EXPECT_FALSE(c.HasInstrumentData(nifty));
}

TEST(DataCoverage, BarsFromTheDataOrAggregatedFromQuotesOrTrades) {
  const DataCoverage c = Sample();
  EXPECT_TRUE(c.CanServeBars(*BarType::Parse("NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL")));
  EXPECT_FALSE(c.CanServeBars(*BarType::Parse("NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL")));
  // INTERNAL bars: MID from quotes (there are some), LAST from trades (there are none).
  EXPECT_TRUE(c.CanServeBars(*BarType::Parse("NIFTY 50.NSE-1-HOUR-MID-INTERNAL")));
  EXPECT_FALSE(c.CanServeBars(*BarType::Parse("NIFTY 50.NSE-1-HOUR-LAST-INTERNAL")));
  // Bars count as data of their instrument, not of an instrument whose id they start with.
  DataCoverage bars_only;
  bars_only.Add({DataSeriesKind::kBars, "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL", Ist(2024, 1, 1),
                 Ist(2024, 1, 2)});
  EXPECT_TRUE(bars_only.HasInstrumentData(*InstrumentId::Parse("NIFTY-I.NFO")));
  EXPECT_FALSE(bars_only.HasInstrumentData(*InstrumentId::Parse("NIFTY.NFO")));
}

TEST(DataCoverage, DescribesWhatExistsGroupedByKindAndVenue) {
  const DataCoverage c = Sample();
  EXPECT_EQ(c.Describe(),
            "bars: NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL 2025-01-06 09:15:00 IST .. 2025-01-10 "
            "15:30:00 IST; quotes: 4 on NFO (NIFTY2510923600CE.NFO .. NIFTY2510923650PE.NFO) "
            "2025-01-07 09:15:00 IST .. 2025-01-09 09:15:00 IST, NIFTY 50.NSE 2025-01-06 "
            "09:15:00 IST .. 2025-01-10 15:25:00 IST");
  // A series known only from its first item, and one known to hold nothing in the run.
  DataCoverage partial;
  partial.Add({DataSeriesKind::kBars, "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL", Ist(2024, 1, 1),
               Ist(2024, 1, 1), false, false});
  EXPECT_EQ(partial.Describe(),
            "bars: NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL from 2024-01-01 09:15:00 IST");
  // The engine dates such a series by its stream's first item in the run and marks it empty
  // when that item is past the end, so one not marked empty has data in the run.
  partial.SetRange(Ist(2030, 1, 1), Ist(2030, 2, 1));
  EXPECT_TRUE(partial.HasInRange(DataSeriesKind::kBars, "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL"));
  DataCoverage none;
  none.Add({DataSeriesKind::kBars, "X.NSE-1-MINUTE-LAST-EXTERNAL", Ist(2024, 1, 1), Ist(2024, 1, 1),
            false, true});
  EXPECT_FALSE(none.HasInRange(DataSeriesKind::kBars, "X.NSE-1-MINUTE-LAST-EXTERNAL"));
  EXPECT_EQ(none.Describe(),
            "bars: X.NSE-1-MINUTE-LAST-EXTERNAL from 2024-01-01 09:15:00 IST, nothing in the run");
  EXPECT_EQ(DataCoverage().Describe(), "no data at all");
}

}  // namespace
}  // namespace nacre
