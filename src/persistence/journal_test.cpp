#include "persistence/journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "persistence/journal_codec.h"
#include "persistence/journal_export.h"
#include "testkit/scratch_dir.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

// Order events for one order, consistent with Order::Apply.
struct Flow {
  std::string coid;
  std::uint64_t next_uuid = 1;
  std::int64_t ts = 1'767'584'700'000'000'000;

  template <typename E>
  E Header(E e) {
    e.trader_id = TraderId("TRADER-001");
    e.strategy_id = StrategyId("S-001");
    e.instrument_id = MustInstrumentId("NIFTY2610624000CE.NFO");
    e.client_order_id = ClientOrderId(coid);
    e.event_id = UuidGenerator(next_uuid++).Next();
    e.ts_event = UnixNanos(ts);
    e.ts_init = UnixNanos(ts += 1'000'000);
    return e;
  }
  OrderEvent Init(std::int64_t lots = 2) {
    OrderInitialized e = Header(OrderInitialized{});
    e.side = OrderSide::kBuy;
    e.order_type = OrderType::kLimit;
    e.quantity = Quantity::FromInt(75 * lots);
    e.price = Price::Raw(123'450'000'000, 2);
    return e;
  }
  OrderEvent Submitted() {
    OrderSubmitted e = Header(OrderSubmitted{});
    e.account_id = AccountId("ZERODHA-AB1234");
    return e;
  }
  OrderEvent Accepted(const std::string& voi) {
    OrderAccepted e = Header(OrderAccepted{});
    e.venue_order_id = VenueOrderId(voi);
    e.account_id = AccountId("ZERODHA-AB1234");
    return e;
  }
  OrderEvent Filled(const std::string& voi, const std::string& trade, std::int64_t qty = 75) {
    OrderFilled e = Header(OrderFilled{});
    e.venue_order_id = VenueOrderId(voi);
    e.account_id = AccountId("ZERODHA-AB1234");
    e.trade_id = TradeId(trade);
    e.last_qty = Quantity::FromInt(qty);
    e.last_px = Price::Raw(123'400'000'000, 2);
    e.commission = Money::FromInt(20);
    e.charges.brokerage = Money::FromInt(20);
    return e;
  }
};

JournalEntry Entry(const OrderEvent& e) { return EventEntry(e, UnixNanos(42)); }

class JournalTest : public testkit::ScratchDirTest {
 protected:
  std::string Path(const std::string& name = "journal.sqlite") const {
    return (dir_ / "state" / "TRADER-001" / name).string();
  }
  std::unique_ptr<Journal> OpenOk(const std::string& path, JournalOptions options = {}) {
    auto j = Journal::Open(path, options);
    EXPECT_TRUE(j.ok()) << j.error();
    return j.ok() ? std::move(j).value() : nullptr;
  }
  std::unique_ptr<Journal> OpenWithRun(const std::string& path) {
    auto j = OpenOk(path);
    if (j) {
      EXPECT_TRUE(j->BeginRun(UnixNanos(1'000), "build-abc", "cfg-123").ok());
    }
    return j;
  }
  // Runs SQL on a closed journal file as another program would.
  static std::string RawSql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    char* msg = nullptr;
    std::string out;
    const int rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* o, int n, char** values, char**) {
          for (int i = 0; i < n; ++i) *static_cast<std::string*>(o) += values[i] ? values[i] : "";
          return 0;
        },
        &out, &msg);
    if (rc != SQLITE_OK) out = std::string("error: ") + (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
    return out;
  }
};

TEST_F(JournalTest, CreatesTheFileWithItsSchemaVersionAndWal) {
  const std::string path = Path();
  { OpenOk(path); }
  EXPECT_TRUE(fs::exists(path + ".lock"));
  EXPECT_EQ(RawSql(path, "PRAGMA application_id"), std::to_string(kJournalApplicationId));
  EXPECT_EQ(RawSql(path, "PRAGMA user_version"), "1");
  EXPECT_EQ(RawSql(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawSql(path,
                   "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema "
                   "WHERE type = 'table' ORDER BY name)"),
            "counters entries runs snapshots tags");
}

TEST_F(JournalTest, AppendsCommitsAndReadsBackInSeqOrder) {
  const std::string path = Path();
  Flow f{"O-1"};
  std::vector<JournalEntry> written;
  {
    auto j = OpenWithRun(path);
    EXPECT_EQ(j->run_id(), 1);
    EXPECT_FALSE(j->Commit()->committed);  // nothing written: no-op
    for (const OrderEvent& e : {f.Init(), f.Submitted(), f.Accepted("V-1")}) {
      written.push_back(Entry(e));
      auto r = j->Append(written.back());
      ASSERT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(r->seq, static_cast<std::int64_t>(written.size()));
      EXPECT_FALSE(r->duplicate);
    }
    EXPECT_EQ(j->last_seq(), 3);
    EXPECT_EQ(j->ReadEntries(0)->size(), 3u);  // the open group is visible to its writer
    auto c = j->Commit();
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c->committed);
    EXPECT_EQ(c->entries, 3u);
    EXPECT_EQ(c->first_seq, 1);
    EXPECT_EQ(c->last_seq, 3);
    EXPECT_FALSE(j->Commit()->committed);
  }
  auto j = OpenOk(path);
  EXPECT_EQ(j->last_seq(), 3);
  auto all = j->ReadEntries(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const StoredEntry& s = (*all)[i];
    EXPECT_EQ(s.seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(s.run_id, 1);
    EXPECT_EQ(s.entry.kind, written[i].kind);
    EXPECT_EQ(s.entry.body, written[i].body);
    EXPECT_EQ(s.entry.client_order_id, "O-1");
    EXPECT_EQ(s.entry.venue_order_id, written[i].venue_order_id);
    EXPECT_EQ(s.entry.ts_wall, UnixNanos(42));
    EXPECT_EQ(s.entry.ts_kernel, written[i].ts_kernel);
  }
  auto page = j->ReadEntries(1, 1);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().seq, 2);
  auto back = DecodeOrderEvent(page->front().entry.kind, page->front().entry.body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<OrderSubmitted>(*back).account_id, AccountId("ZERODHA-AB1234"));
}

TEST_F(JournalTest, AppendBeforeBeginRunFailsStop) {
  auto j = OpenOk(Path());
  Flow f{"O-1"};
  auto r = j->Append(Entry(f.Init()));
  EXPECT_EQ(r.code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(j->failed());
}

// The honest crash test: a child process appends, commits some, appends more and dies without
// committing. What it committed is there; what it did not is gone; the lock died with it.
TEST_F(JournalTest, AnUncommittedGroupIsGoneAfterACrash) {
  const std::string path = Path();
  fs::create_directories(fs::path(path).parent_path());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto j = Journal::Open(path);
    if (!j.ok() || !(*j)->BeginRun(UnixNanos(1), "b", "c").ok()) ::_exit(3);
    Flow f{"O-1"};
    if (!(*j)->Append(Entry(f.Init())).ok() || !(*j)->Append(Entry(f.Submitted())).ok() ||
        !(*j)->Append(Entry(f.Accepted("V-1"))).ok() || !(*j)->Commit().ok()) {
      ::_exit(4);
    }
    if (!(*j)->Append(Entry(f.Filled("V-1", "T-1"))).ok() || !(*j)->SetCounter("tags", 7).ok() ||
        !(*j)->MapTag("TAG1", ClientOrderId("O-1")).ok()) {
      ::_exit(5);
    }
    ::_exit(0);  // no commit, no destructor: a crash
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto j = OpenOk(path);  // the dead child's lock is gone
  ASSERT_TRUE(j);
  EXPECT_EQ(j->last_seq(), 3);
  EXPECT_EQ(j->ReadEntries(0)->size(), 3u);
  EXPECT_TRUE(j->Counters()->empty());
  EXPECT_FALSE(j->LookupTag("TAG1")->has_value());
  auto runs = j->Runs();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_FALSE(runs->front().clean_stop);
  auto report = j->Verify();
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_TRUE(report->ok()) << report->first_problem;
  EXPECT_EQ(report->open_orders, 1);
  // The next run continues the sequence.
  ASSERT_TRUE(j->BeginRun(UnixNanos(2), "b", "c").ok());
  Flow g{"O-2"};
  EXPECT_EQ(j->Append(Entry(g.Init()))->seq, 4);
}

TEST_F(JournalTest, ClosingWithoutCommitRollsTheGroupBack) {
  const std::string path = Path();
  {
    auto j = OpenWithRun(path);
    Flow f{"O-1"};
    ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
    ASSERT_TRUE(j->Commit().ok());
    ASSERT_TRUE(j->Append(Entry(f.Submitted())).ok());
  }
  auto j = OpenOk(path);
  EXPECT_EQ(j->last_seq(), 1);
}

// A crash can stop the WAL at any byte. Every cut (each frame boundary and mid-frame) opens,
// verifies and holds exactly a prefix of the commits, never part of one.
TEST_F(JournalTest, AJournalCutAnywhereInTheWalOpensAndReplays) {
  const std::string path = Path();
  auto j = OpenWithRun(path);
  std::set<std::int64_t> committed_counts = {0};
  Flow f{"O-1"};
  std::vector<OrderEvent> events = {f.Init(20), f.Submitted(), f.Accepted("V-1")};
  for (int i = 1; i <= 12; ++i) events.push_back(f.Filled("V-1", "T-" + std::to_string(i)));
  // Groups of 1, 2, 3, 1, 2, 3, ... entries.
  std::size_t next = 0;
  for (int g = 0; next < events.size(); ++g) {
    for (int k = 0; k <= g % 3 && next < events.size(); ++k) {
      ASSERT_TRUE(j->Append(Entry(events[next++])).ok());
    }
    ASSERT_TRUE(j->Commit().ok());
    committed_counts.insert(j->last_seq());
  }
  // Copy the files as a crash would leave them (the journal is still open).
  std::string db_bytes;
  std::string wal_bytes;
  {
    std::ifstream db(path, std::ios::binary);
    db_bytes.assign(std::istreambuf_iterator<char>(db), {});
    std::ifstream wal(path + "-wal", std::ios::binary);
    wal_bytes.assign(std::istreambuf_iterator<char>(wal), {});
  }
  ASSERT_GE(wal_bytes.size(), 32u);
  const auto* h = reinterpret_cast<const unsigned char*>(wal_bytes.data());
  const std::size_t page = (std::size_t{h[8]} << 24) | (std::size_t{h[9]} << 16) |
                           (std::size_t{h[10]} << 8) | std::size_t{h[11]};
  ASSERT_GT(page, 0u);
  const std::size_t frame = 24 + page;
  std::vector<std::size_t> cuts;
  for (std::size_t at = 32; at <= wal_bytes.size(); at += frame) {
    cuts.push_back(at);
    if (at + frame / 2 < wal_bytes.size()) cuts.push_back(at + frame / 2);  // a torn frame
  }
  ASSERT_GT(cuts.size(), 10u);
  std::int64_t previous = 0;
  for (std::size_t c = 0; c < cuts.size(); ++c) {
    const fs::path copy = dir_ / ("cut" + std::to_string(c)) / "journal.sqlite";
    fs::create_directories(copy.parent_path());
    std::ofstream(copy, std::ios::binary) << db_bytes;
    std::ofstream(copy.string() + "-wal", std::ios::binary) << wal_bytes.substr(0, cuts[c]);
    auto cut = Journal::Open(copy.string());
    ASSERT_TRUE(cut.ok()) << "cut at " << cuts[c] << ": " << cut.error();
    auto report = (*cut)->Verify();
    ASSERT_TRUE(report.ok()) << report.error();
    EXPECT_TRUE(report->ok()) << "cut at " << cuts[c] << ": " << report->first_problem;
    EXPECT_TRUE(committed_counts.contains(report->entries))
        << "cut at " << cuts[c] << " holds " << report->entries << " entries";
    EXPECT_GE(report->entries, previous);
    previous = report->entries;
  }
  EXPECT_EQ(previous, static_cast<std::int64_t>(events.size()));  // the whole WAL: everything
}

TEST_F(JournalTest, ASecondOpenerIsRefusedWhileTheFirstHoldsIt) {
  const std::string path = Path();
  auto first = OpenOk(path);
  auto second = Journal::Open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), ErrorCode::kUnavailable);
  EXPECT_NE(second.error().find(path), std::string::npos) << second.error();
  EXPECT_NE(second.error().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.error();
  first.reset();
  EXPECT_TRUE(Journal::Open(path).ok());
}

TEST_F(JournalTest, AnotherProcessHoldingTheJournalIsNamedByPid) {
  const std::string path = Path();
  fs::create_directories(fs::path(path).parent_path());
  int ready[2];
  int release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto j = Journal::Open(path);
    const char c = j.ok() ? 'y' : 'n';
    if (::write(ready[1], &c, 1) != 1) ::_exit(2);
    char x = 0;
    if (::read(release[0], &x, 1) != 1) ::_exit(2);
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = Journal::Open(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("in use by another process (pid " + std::to_string(child) + ")"),
            std::string::npos)
      << refused.error();
  ASSERT_EQ(::write(release[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
  EXPECT_TRUE(Journal::Open(path).ok());
}

TEST_F(JournalTest, GarbageOverTheHeaderIsRefusedWithSqlitesReason) {
  const std::string path = Path();
  {
    auto j = OpenWithRun(path);
    Flow f{"O-1"};
    ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
    ASSERT_TRUE(j->Commit().ok());
  }
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(100, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto j = Journal::Open(path);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.code(), ErrorCode::kCorruption);
  EXPECT_NE(j.error().find(path), std::string::npos) << j.error();
  EXPECT_NE(j.error().find("file is not a database"), std::string::npos) << j.error();
}

TEST_F(JournalTest, ADamagedPageIsRefusedByQuickCheck) {
  const std::string path = Path();
  {
    auto j = OpenWithRun(path);
    Flow f{"O-1"};
    ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
    ASSERT_TRUE(j->Commit().ok());
  }
  const auto size = fs::file_size(path);
  ASSERT_GE(size, 3u * 4096u);
  {
    // Page 3 onwards (the tables' b-trees) overwritten; the header and schema page intact.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2 * 4096);
    const std::string garbage(size - 2 * 4096, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto j = Journal::Open(path);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.code(), ErrorCode::kCorruption) << j.error();
  EXPECT_NE(j.error().find(path), std::string::npos) << j.error();
}

TEST_F(JournalTest, AForeignFileOrANewerSchemaIsRefusedWithTheReason) {
  const std::string foreign = (dir_ / "other.sqlite").string();
  EXPECT_EQ(RawSql(foreign, "CREATE TABLE t(x); PRAGMA application_id=7"), "");
  auto j = Journal::Open(foreign);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.code(), ErrorCode::kInvalidInput);
  EXPECT_NE(j.error().find(foreign + " is not a Nacre journal (application_id 0x7"),
            std::string::npos)
      << j.error();

  const std::string path = Path();
  { OpenOk(path); }
  EXPECT_EQ(RawSql(path, "PRAGMA user_version=2"), "");
  j = Journal::Open(path);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(j.error().find("schema version 2, newer than this build's 1"), std::string::npos)
      << j.error();

  JournalOptions no_create;
  no_create.create_if_missing = false;
  j = Journal::Open(Path("absent.sqlite"), no_create);
  EXPECT_EQ(j.code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(Path("absent.sqlite") + ".lock"));
}

TEST_F(JournalTest, AReplayedFillIsReportedAsDuplicateAndNotAppended) {
  const std::string path = Path();
  Flow f{"O-1"};
  const OrderEvent fill = f.Filled("V-1", "T-1");
  {
    auto j = OpenWithRun(path);
    ASSERT_EQ(j->Append(Entry(fill))->seq, 1);
    auto again = j->Append(Entry(fill));  // in the same group
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->seq, 1);
    ASSERT_TRUE(j->Commit().ok());
  }
  auto j = OpenWithRun(path);
  auto again = j->Append(Entry(fill));  // after a restart
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, 1);
  EXPECT_FALSE(j->Commit()->committed);  // nothing was written
  EXPECT_FALSE(j->failed());
  // A trade id alone is not unique: another order's trade with the same id is a new fill.
  EXPECT_FALSE(j->Append(Entry(f.Filled("V-2", "T-1")))->duplicate);
  EXPECT_FALSE(j->Append(Entry(f.Filled("V-1", "T-2")))->duplicate);
  EXPECT_EQ(*j->FindFill("V-1", "T-2"), std::optional<std::int64_t>(3));
  EXPECT_EQ(*j->FindFill("V-9", "T-2"), std::nullopt);
  ASSERT_TRUE(j->Commit().ok());
  EXPECT_EQ(j->last_seq(), 3);
}

TEST_F(JournalTest, AFillWithoutItsIdsFailsStop) {
  auto j = OpenWithRun(Path());
  Flow f{"O-1"};
  auto r = j->Append(Entry(f.Filled("V-1", "")));
  EXPECT_EQ(r.code(), ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().find("without a trade id"), std::string::npos) << r.error();
  EXPECT_TRUE(j->failed());
}

TEST_F(JournalTest, TheTagMapRecordsTagsAndVenueIds) {
  const std::string path = Path();
  {
    auto j = OpenWithRun(path);
    ASSERT_TRUE(j->MapTag("NCR0001", ClientOrderId("O-1")).ok());
    ASSERT_TRUE(j->MapTag("NCR0001", ClientOrderId("O-1")).ok());  // idempotent
    ASSERT_TRUE(j->MapTag("NCR0002", ClientOrderId("O-2")).ok());
    auto row = j->LookupTag("NCR0001");
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->client_order_id, ClientOrderId("O-1"));
    EXPECT_TRUE((*row)->venue_order_id.empty());
    ASSERT_TRUE(j->SetVenueOrderId(ClientOrderId("O-1"), VenueOrderId("V-1")).ok());
    ASSERT_TRUE(j->SetVenueOrderIdForTag("NCR0001", VenueOrderId("V-1")).ok());  // same again
    ASSERT_TRUE(j->SetVenueOrderIdForTag("NCR0002", VenueOrderId("V-2")).ok());
    ASSERT_TRUE(j->Commit().ok());
  }
  auto j = OpenOk(path);
  EXPECT_EQ(*j->TagCount(), 2);
  auto by_venue = j->LookupVenueOrderId(VenueOrderId("V-2"));
  ASSERT_TRUE(by_venue.ok() && by_venue->has_value());
  EXPECT_EQ((*by_venue)->tag, "NCR0002");
  EXPECT_EQ((*by_venue)->client_order_id, ClientOrderId("O-2"));
  auto by_id = j->LookupClientOrderId(ClientOrderId("O-1"));
  EXPECT_EQ((*by_id)->venue_order_id, VenueOrderId("V-1"));
  EXPECT_FALSE(j->LookupTag("NCR9999")->has_value());
}

TEST_F(JournalTest, TagMapUniqueViolationsNameTheIdsAndFailStop) {
  struct Case {
    std::string name;
    std::function<Status(Journal&)> violate;
    std::vector<std::string> named;
    ErrorCode code = ErrorCode::kInvalidInput;
  };
  const std::vector<Case> cases = {
      {"tag",
       [](Journal& j) { return j.MapTag("NCR0001", ClientOrderId("O-9")); },
       {"tag 'NCR0001'", "'O-1'", "'O-9'"}},
      {"client_order_id",
       [](Journal& j) { return j.MapTag("NCR0009", ClientOrderId("O-1")); },
       {"client order id 'O-1'", "'NCR0001'", "'NCR0009'"}},
      {"venue_order_id",
       [](Journal& j) { return j.SetVenueOrderId(ClientOrderId("O-2"), VenueOrderId("V-1")); },
       {"venue order id 'V-1'", "'O-1'", "'O-2'"}},
      {"changed venue id",
       [](Journal& j) { return j.SetVenueOrderId(ClientOrderId("O-1"), VenueOrderId("V-7")); },
       {"'V-1'", "'V-7'", "'O-1'"}},
      {"unknown",
       [](Journal& j) { return j.SetVenueOrderIdForTag("NOPE", VenueOrderId("V-8")); },
       {"tag 'NOPE'", "'V-8'"},
       ErrorCode::kNotFound},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    auto j = OpenWithRun(Path("j" + std::to_string(i) + ".sqlite"));
    ASSERT_TRUE(j->MapTag("NCR0001", ClientOrderId("O-1")).ok());
    ASSERT_TRUE(j->MapTag("NCR0002", ClientOrderId("O-2")).ok());
    ASSERT_TRUE(j->SetVenueOrderId(ClientOrderId("O-1"), VenueOrderId("V-1")).ok());
    const Status s = c.violate(*j);
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.code(), c.code) << c.name << ": " << s.error();
    for (const std::string& n : c.named) {
      EXPECT_NE(s.error().find(n), std::string::npos) << c.name << ": " << s.error();
    }
    EXPECT_TRUE(j->failed()) << c.name;
  }
}

TEST_F(JournalTest, AfterAnErrorEveryCallReturnsTheFirstErrorAndTheGroupIsDropped) {
  const std::string path = Path();
  Flow f{"O-1"};
  {
    auto j = OpenWithRun(path);
    ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
    ASSERT_TRUE(j->Commit().ok());
    ASSERT_TRUE(j->Append(Entry(f.Submitted())).ok());  // in the group that fails
    ASSERT_TRUE(j->MapTag("NCR0001", ClientOrderId("O-1")).ok());
    const Status first = j->MapTag("NCR0001", ClientOrderId("O-2"));
    ASSERT_FALSE(first.ok());
    EXPECT_TRUE(j->failed());
    EXPECT_EQ(j->failure().error(), first.error());
    EXPECT_EQ(j->Append(Entry(f.Accepted("V-1"))).error(), first.error());
    EXPECT_EQ(j->Commit().error(), first.error());
    EXPECT_EQ(j->ReadEntries(0).error(), first.error());
    EXPECT_EQ(j->SetCounter("x", 1).error(), first.error());
    EXPECT_EQ(j->MarkCleanStop().error(), first.error());
    EXPECT_EQ(j->Verify().error(), first.error());
    EXPECT_EQ(j->LookupTag("NCR0001").error(), first.error());
  }
  auto j = OpenOk(path);
  EXPECT_EQ(j->last_seq(), 1);  // the failed group's Submitted never became durable
  EXPECT_FALSE(j->LookupTag("NCR0001")->has_value());
}

TEST_F(JournalTest, CountersAndSnapshotsPersist) {
  const std::string path = Path();
  {
    auto j = OpenWithRun(path);
    EXPECT_FALSE(j->LatestSnapshot()->has_value());
    ASSERT_TRUE(j->SetCounter("order_factory.S-001", 1).ok());
    ASSERT_TRUE(j->SetCounter("tag_seq", 2).ok());
    ASSERT_TRUE(j->SetCounter("order_factory.S-001", 3).ok());
    Flow f{"O-1"};
    ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
    ASSERT_TRUE(j->Append(Entry(f.Submitted())).ok());
    EXPECT_EQ(*j->SaveSnapshot(R"({"orders":[]})"), 2);
    EXPECT_EQ(*j->SaveSnapshot(R"({"orders":[1]})"), 2);  // replaces the one at seq 2
    ASSERT_TRUE(j->Commit().ok());
  }
  auto j = OpenOk(path);
  const auto counters = j->Counters();
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(*counters,
            (std::map<std::string, std::int64_t>{{"order_factory.S-001", 3}, {"tag_seq", 2}}));
  auto snap = j->LatestSnapshot();
  ASSERT_TRUE(snap.ok() && snap->has_value());
  EXPECT_EQ((*snap)->seq, 2);
  EXPECT_EQ((*snap)->body, R"({"orders":[1]})");
}

TEST_F(JournalTest, RunsAndTheCleanStop) {
  const std::string path = Path();
  { OpenWithRun(path); }  // a run that never stopped cleanly
  {
    auto j = OpenOk(path);
    EXPECT_EQ(*j->BeginRun(UnixNanos(2'000), "build-def", "cfg-456"), 2);
    Flow f{"O-1"};
    ASSERT_TRUE(j->Append(Entry(f.Init())).ok());  // committed by MarkCleanStop
    ASSERT_TRUE(j->MarkCleanStop().ok());
    EXPECT_EQ(fs::file_size(path + "-wal"), 0u);  // checkpointed and truncated
  }
  auto j = OpenOk(path);
  auto runs = j->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].build_id, "build-abc");
  EXPECT_FALSE((*runs)[0].clean_stop);
  EXPECT_EQ((*runs)[1].run_id, 2);
  EXPECT_EQ((*runs)[1].started, UnixNanos(2'000));
  EXPECT_EQ((*runs)[1].config_hash, "cfg-456");
  EXPECT_TRUE((*runs)[1].clean_stop);
  EXPECT_EQ(j->last_seq(), 1);
}

TEST_F(JournalTest, VerifyReplaysALifecycleCleanly) {
  auto j = OpenWithRun(Path());
  Flow f{"O-1"};
  Flow g{"O-2"};
  SubmitOrder submit;
  submit.client_order_id = ClientOrderId("O-1");
  submit.instrument_id = MustInstrumentId("NIFTY2610624000CE.NFO");
  ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
  ASSERT_TRUE(j->Append(CommandEntry(submit, UnixNanos(1))).ok());
  for (const OrderEvent& e :
       {f.Submitted(), f.Accepted("V-1"), f.Filled("V-1", "T-1", 75), f.Filled("V-1", "T-2", 75),
        g.Init(), g.Submitted(), g.Accepted("V-2")}) {
    ASSERT_TRUE(j->Append(Entry(e)).ok());
  }
  ASSERT_TRUE(j->Append(JournalEntry{UnixNanos(1), UnixNanos(1), "AccountState", "", "", "",
                                     R"({"balance":[100000000000000,"INR"]})"})
                  .ok());
  ASSERT_TRUE(j->Commit().ok());
  auto r = j->Verify();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->ok()) << r->first_problem;
  EXPECT_EQ(r->integrity, "ok");
  EXPECT_EQ(r->entries, 10);
  EXPECT_EQ(r->last_seq, 10);
  EXPECT_EQ(r->runs, 1);
  EXPECT_EQ(r->commands, 1);
  EXPECT_EQ(r->events, 8);
  EXPECT_EQ(r->fills, 2);
  EXPECT_EQ(r->other, 1);
  EXPECT_EQ(r->orders, 2);
  EXPECT_EQ(r->open_orders, 1);  // O-1 filled, O-2 working
}

TEST_F(JournalTest, VerifyFindsAGapLeftByADeletedRow) {
  const std::string path = Path();
  {
    auto j = OpenWithRun(path);
    Flow f{"O-1"};
    for (const OrderEvent& e : {f.Init(), f.Submitted(), f.Accepted("V-1")}) {
      ASSERT_TRUE(j->Append(Entry(e)).ok());
    }
    ASSERT_TRUE(j->Commit().ok());
  }
  // The journal refuses edits itself; only dropping its guard lets a row go.
  EXPECT_EQ(RawSql(path, "DELETE FROM entries WHERE seq = 2"),
            "error: journal entries are append-only");
  EXPECT_EQ(RawSql(path, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = 2"), "");
  auto j = OpenOk(path);
  auto r = j->Verify();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->first_problem_seq, 3);
  EXPECT_EQ(r->first_problem, "gap: seq 3 follows seq 1");
}

TEST_F(JournalTest, VerifyFindsAFillForAnOrderNeverAccepted) {
  auto j = OpenWithRun(Path());
  Flow f{"O-1"};
  ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
  ASSERT_TRUE(j->Append(Entry(f.Filled("V-1", "T-1"))).ok());
  ASSERT_TRUE(j->Commit().ok());
  auto r = j->Verify();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->problems, 1);
  EXPECT_EQ(r->first_problem_seq, 2);
  EXPECT_NE(r->first_problem.find("OrderFilled for O-1 refused by the order state machine "
                                  "(INITIALIZED)"),
            std::string::npos)
      << r->first_problem;
}

TEST_F(JournalTest, VerifyFindsABodyThatDoesNotDecode) {
  auto j = OpenWithRun(Path());
  Flow f{"O-1"};
  ASSERT_TRUE(j->Append(Entry(f.Init())).ok());
  JournalEntry bad = Entry(f.Submitted());
  bad.body = R"({"account_id":"ZERODHA-AB1234"})";
  ASSERT_TRUE(j->Append(bad).ok());
  ASSERT_TRUE(j->Commit().ok());
  auto r = j->Verify();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_problem_seq, 2);
  EXPECT_EQ(r->first_problem, "seq 2: OrderSubmitted: missing field 'trader_id'");
}

TEST_F(JournalTest, ABodyThatIsNotJsonIsAnError) {
  auto j = OpenWithRun(Path());
  auto r = j->Append(JournalEntry{UnixNanos(1), UnixNanos(1), "Note", "", "", "", "{oops"});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("CHECK constraint failed"), std::string::npos) << r.error();
}

TEST_F(JournalTest, ExportsEntriesAndFillsAsCsvAndJsonLines) {
  auto j = OpenWithRun(Path());
  Flow f{"O-1"};
  for (const OrderEvent& e :
       {f.Init(), f.Submitted(), f.Accepted("V-1"), f.Filled("V-1", "T-1", 75)}) {
    ASSERT_TRUE(j->Append(Entry(e)).ok());
  }
  ASSERT_TRUE(j->Commit().ok());
  std::ostringstream csv;
  auto n = ExportJournal(*j, csv, JournalExportFormat::kCsv, JournalExportWhat::kEntries);
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(*n, 4);
  const std::string text = csv.str();
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "seq,run_id,ts_wall,ts_kernel,kind,client_order_id,venue_order_id,trade_id,body");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);
  EXPECT_NE(text.find("\n1,1,42,"), std::string::npos) << text;
  EXPECT_NE(text.find(",\"{\"\"account_id\"\":\"\"ZERODHA-AB1234\"\""), std::string::npos) << text;

  std::ostringstream fills;
  n = ExportJournal(*j, fills, JournalExportFormat::kCsv, JournalExportWhat::kFills);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_NE(fills.str().find("\n4,1,"), std::string::npos) << fills.str();
  EXPECT_NE(fills.str().find(",O-1,V-1,T-1,NIFTY2610624000CE.NFO,BUY,75,123.40,INR,20.00,TAKER,"),
            std::string::npos)
      << fills.str();

  std::ostringstream jsonl;
  n = ExportJournal(*j, jsonl, JournalExportFormat::kJsonLines, JournalExportWhat::kEntries);
  ASSERT_TRUE(n.ok());
  std::istringstream lines(jsonl.str());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const auto v = nlohmann::json::parse(line);
    EXPECT_EQ(v["seq"], ++count);
    EXPECT_TRUE(v["body"].is_object());
  }
  EXPECT_EQ(count, 4);
}

}  // namespace
}  // namespace nacre
