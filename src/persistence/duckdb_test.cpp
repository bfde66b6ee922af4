#include "persistence/duckdb.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace nacre::duck {
namespace {

class DuckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("nacre_duck_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = std::move(Database::Open()).value();
    con_ = std::move(Connection::Connect(*db_)).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> con_;
};

TEST_F(DuckTest, ParquetRoundTripThroughAppenderAndStreaming) {
  ASSERT_TRUE(con_->Execute("CREATE TABLE t (ts UBIGINT, px BIGINT, sym VARCHAR)").ok());
  auto app = con_->MakeAppender("t");
  ASSERT_TRUE(app.ok()) << app.error();
  const int n = 10000;  // several 2048-row chunks
  for (int i = 0; i < n; ++i) {
    app->UInt64(static_cast<std::uint64_t>(i) * 60'000'000'000ULL);
    app->Int64(21'700'050'000'000LL + i);
    app->Varchar(i % 2 ? "NIFTY2610624000CE" : "X");
    app->EndRow();
  }
  ASSERT_TRUE(app->Close().ok());
  const std::string file = (dir_ / "t.parquet").string();
  ASSERT_TRUE(con_->Execute("COPY t TO " + Quote(file) + " (FORMAT PARQUET)").ok());

  auto r = con_->Stream("SELECT ts, px, sym FROM read_parquet(" + Quote(file) + ") ORDER BY ts");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->column_count(), 3u);
  EXPECT_EQ(r->column_name(1), "px");
  EXPECT_EQ(r->column_type(0), DUCKDB_TYPE_UBIGINT);
  int seen = 0;
  int chunks = 0;
  while (true) {
    auto c = r->Fetch();
    ASSERT_TRUE(c.ok()) << c.error();
    if (c->empty()) break;
    ++chunks;
    const auto* ts = c->Column<std::uint64_t>(0);
    const auto* px = c->Column<std::int64_t>(1);
    for (std::size_t i = 0; i < c->size(); ++i, ++seen) {
      ASSERT_EQ(ts[i], static_cast<std::uint64_t>(seen) * 60'000'000'000ULL);
      ASSERT_EQ(px[i], 21'700'050'000'000LL + seen);  // exact, no float on the way
      ASSERT_EQ(c->String(2, i), seen % 2 ? "NIFTY2610624000CE" : "X");
    }
  }
  EXPECT_EQ(seen, n);
  EXPECT_GT(chunks, 1);
}

TEST_F(DuckTest, BadSqlNamesTheQueryAndDuckDbMessage) {
  auto r = con_->Query("SELEC 1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("DuckDB: Parser Error"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("(query: SELEC 1)"), std::string::npos) << r.error();
  auto s = con_->Stream("SELECT * FROM no_such_table");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("no_such_table"), std::string::npos) << s.error();
}

TEST_F(DuckTest, MissingAndCorruptParquetAreClearErrors) {
  const std::string missing = (dir_ / "missing.parquet").string();
  auto r = con_->Query("SELECT * FROM read_parquet(" + Quote(missing) + ")");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("missing.parquet"), std::string::npos) << r.error();

  const std::string corrupt = (dir_ / "corrupt.parquet").string();
  {
    std::ofstream f(corrupt, std::ios::binary);
    f << "PAR1 this is not a parquet file";
  }
  auto c = con_->Query("SELECT * FROM read_parquet(" + Quote(corrupt) + ")");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("corrupt.parquet"), std::string::npos) << c.error();
}

TEST_F(DuckTest, TruncatedParquetIsAnErrorNotGarbage) {
  ASSERT_TRUE(con_->Execute("CREATE TABLE t AS SELECT range AS x FROM range(100000)").ok());
  const std::string file = (dir_ / "full.parquet").string();
  ASSERT_TRUE(con_->Execute("COPY t TO " + Quote(file) + " (FORMAT PARQUET)").ok());
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size / 2);
  auto r = con_->Query("SELECT count(*) FROM read_parquet(" + Quote(file) + ")");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("full.parquet"), std::string::npos) << r.error();
}

TEST_F(DuckTest, AppenderTypeErrorIsReportedOnClose) {
  ASSERT_TRUE(con_->Execute("CREATE TABLE t (a INTEGER NOT NULL)").ok());
  auto app = con_->MakeAppender("t");
  ASSERT_TRUE(app.ok());
  app->Null();
  app->EndRow();
  Status s = app->Close();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error().find("(appending to t)"), std::string::npos) << s.error();
  auto missing = con_->MakeAppender("no_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("no_table"), std::string::npos) << missing.error();
}

TEST(DuckQuote, DoublesSingleQuotes) { EXPECT_EQ(Quote("it's"), "'it''s'"); }

}  // namespace
}  // namespace nacre::duck
