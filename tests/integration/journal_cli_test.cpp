// `nacre journal ls | show | verify | export` on a journal written through the Journal API, as
// a node would leave it, then damaged; and refused while another holder has it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_exec.h"
#include "persistence/journal.h"
#include "persistence/journal_codec.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

template <typename E>
E Header(E e, const std::string& coid, std::uint64_t n) {
  e.trader_id = TraderId("TRADER-001");
  e.strategy_id = StrategyId("S-001");
  e.instrument_id = MustInstrumentId("NIFTY2610624000CE.NFO");
  e.client_order_id = ClientOrderId(coid);
  e.event_id = UuidGenerator(n).Next();
  e.ts_event = UnixNanos(1'767'584'700'000'000'000 + static_cast<std::int64_t>(n));
  e.ts_init = e.ts_event;
  return e;
}

// Two orders: O-1 accepted and fully filled in two trades, O-2 accepted and working.
void WriteJournal(const std::string& path) {
  auto j = std::move(Journal::Open(path)).value();
  ASSERT_TRUE(j->BeginRun(FromIst(2026, 1, 5, 9, 0), "build-1", "cfg-1").ok());
  std::uint64_t n = 0;
  for (const std::string coid : {"O-1", "O-2"}) {
    OrderInitialized init = Header(OrderInitialized{}, coid, ++n);
    init.order_type = OrderType::kLimit;
    init.quantity = Quantity::FromInt(150);
    init.price = Price::Raw(123'450'000'000, 2);
    init.venue_tag = "NCR" + coid.substr(2);
    OrderSubmitted sub = Header(OrderSubmitted{}, coid, ++n);
    OrderAccepted acc = Header(OrderAccepted{}, coid, ++n);
    acc.venue_order_id = VenueOrderId("V" + coid);
    for (const OrderEvent& e : {OrderEvent(init), OrderEvent(sub), OrderEvent(acc)}) {
      ASSERT_TRUE(j->Append(EventEntry(e, e.index() == 0 ? UnixNanos(1) : UnixNanos(2))).ok());
    }
    ASSERT_TRUE(j->MapTag(init.venue_tag, init.client_order_id).ok());
    ASSERT_TRUE(j->SetVenueOrderId(init.client_order_id, acc.venue_order_id).ok());
    ASSERT_TRUE(j->Commit().ok());
  }
  for (int t = 1; t <= 2; ++t) {
    OrderFilled fill = Header(OrderFilled{}, "O-1", ++n);
    fill.venue_order_id = VenueOrderId("VO-1");
    fill.trade_id = TradeId(fmt::format("T-{}", t));
    fill.last_qty = Quantity::FromInt(75);
    fill.last_px = Price::Raw(123'400'000'000, 2);
    fill.commission = Money::FromInt(20);
    ASSERT_TRUE(j->Append(EventEntry(fill, UnixNanos(3))).ok());
  }
  ASSERT_TRUE(j->SetCounter("tag_seq", 2).ok());
  ASSERT_TRUE(j->MarkCleanStop().ok());
}

class JournalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("nacre_journal_cli_{}", ::getpid());
    fs::remove_all(dir_);
    path_ = (dir_ / "state" / "TRADER-001" / "journal.sqlite").string();
    WriteJournal(path_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST_F(JournalCli, LsShowVerifyAndExport) {
  auto r = testing::Exec(fmt::format("journal ls '{}'", path_), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("2026-01-05 09:00:00 IST"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("build-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  yes"), std::string::npos) << r.out;  // clean stop
  EXPECT_NE(r.out.find("last seq 8, 8 entries (0 commands, 8 order events, 2 fills, 0 other)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("orders 2 (1 open), tag map 2 rows, latest snapshot none"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("counter tag_seq = 2"), std::string::npos) << r.out;

  r = testing::Exec(fmt::format("journal show '{}' --from 7 --limit 1", path_), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("       7  run 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OrderFilled"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"last_px\":[123400000000,2]"), std::string::npos) << r.out;

  r = testing::Exec(fmt::format("journal verify '{}'", path_), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("verify: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("orders: 2 (1 open)"), std::string::npos) << r.out;

  const std::string csv = (dir_ / "fills.csv").string();
  r = testing::Exec(fmt::format("journal export '{}' --out '{}' --what fills", path_, csv), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("2 fills written"), std::string::npos) << r.out;
  std::ifstream in(csv);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().substr(0, text.str().find('\n')),
            "seq,run_id,ts_event,client_order_id,venue_order_id,trade_id,instrument_id,side,"
            "last_qty,last_px,currency,commission,liquidity_side,strategy_id,body");
  EXPECT_NE(text.str().find(",O-1,VO-1,T-2,NIFTY2610624000CE.NFO,BUY,75,123.40,INR,20.00,"),
            std::string::npos)
      << text.str();

  const std::string jsonl = (dir_ / "entries.jsonl").string();
  r = testing::Exec(fmt::format("journal export '{}' --out '{}' --format jsonl", path_, jsonl),
                    true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("8 entries written"), std::string::npos) << r.out;
}

TEST_F(JournalCli, VerifyReportsTheFirstProblemWithItsSeq) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = 4",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = testing::Exec(fmt::format("journal verify '{}'", path_), true);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("first at seq 5: gap: seq 5 follows seq 3"), std::string::npos) << r.out;
}

TEST_F(JournalCli, ErrorsNameTheFile) {
  const std::string missing = (dir_ / "nope.sqlite").string();
  auto r = testing::Exec(fmt::format("journal ls '{}'", missing), true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("error: journal " + missing + ": no such file"), std::string::npos) << r.out;

  {
    auto held = Journal::Open(path_);  // a running node holds it
    ASSERT_TRUE(held.ok()) << held.error();
    r = testing::Exec(fmt::format("journal verify '{}'", path_), true);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find(path_ + " is in use by another process (pid " +
                         std::to_string(::getpid()) + ")"),
              std::string::npos)
        << r.out;
  }
  const std::string garbage = (dir_ / "garbage.sqlite").string();
  std::ofstream(garbage) << std::string(8192, 'x');
  r = testing::Exec(fmt::format("journal show '{}'", garbage), true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(garbage), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file is not a database"), std::string::npos) << r.out;

  r = testing::Exec(fmt::format("journal export '{}' --out x --format xml", path_), true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--format must be csv or jsonl, got 'xml'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace nacre
