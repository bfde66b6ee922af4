// CatalogSink: writes a synthetic chain (chain.h) as Parquet files in the catalog layout
//   {root}/data/quote_tick/{instrument_id}/{start}_{end}.parquet   option and index quotes
//   {root}/data/bar/{bar_type}/{start}_{end}.parquet               the index's bars
//   {root}/instruments.parquet                                     every instrument written
// where start/end are the first and last ts_init in the file, in Unix nanoseconds. Quote
// columns: bid_price, ask_price, bid_size, ask_size (BIGINT fixed-point raw at scale 10^9),
// ts_event, ts_init (BIGINT ns); bar columns open, high, low, close, volume, ts_event, ts_init;
// the file's key/value metadata holds instrument_id (or bar_type), price_precision and
// size_precision. Rows are in time order.
// Memory: each instrument's rows are buffered until its series retires (or the buffer reaches
// `max_rows_per_file`, which starts a new file), so memory follows the live contracts, not the
// period. Files are written to "{name}.tmp" and renamed. The root must not already hold a
// data/ folder with files (no merging into existing data: that is the catalog's job).
// Deterministic: DuckDB runs single-threaded and rows are appended in generation order, so the
// same chain gives byte-identical files. Single-threaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "persistence/duckdb.h"
#include "synth/chain.h"

namespace nacre::synth {

class CatalogSink : public ChainSink {
 public:
  static Result<std::unique_ptr<CatalogSink>> Open(const std::string& root,
                                                   std::size_t max_rows_per_file = 1'000'000);

  Status OnInstrument(const Instrument& instrument) override;
  Status OnStep(const ChainStep& step) override;
  Status OnRetired(std::span<const InstrumentId> ids) override;
  Status Finish() override;

  std::uint64_t files_written() const { return files_; }
  std::uint64_t bytes_written() const { return bytes_; }
  std::uint64_t rows_written() const { return rows_; }

 private:
  struct Row {
    std::int64_t a, b, c, d, e;  // quote: bid, ask, bid size, ask size, unused; bar: o h l c v
    std::int64_t ts_event, ts_init;
  };
  struct Buffer {
    std::string kind;  // "quote_tick" or "bar"
    std::string key;   // instrument id or bar type
    int price_precision = 2;
    int size_precision = 0;
    std::vector<Row> rows;
  };

  CatalogSink(std::filesystem::path root, std::size_t max_rows, std::unique_ptr<duck::Database> db,
              std::unique_ptr<duck::Connection> con)
      : root_(std::move(root)), max_rows_(max_rows), db_(std::move(db)), con_(std::move(con)) {}
  Buffer& QuoteBuffer(const InstrumentId& id);
  Status Append(Buffer& buffer, const Row& row);
  Status Flush(Buffer& buffer);
  Status AppendRows(const std::string& table, const std::vector<Row>& rows, int value_columns);
  Status WriteInstruments();

  std::filesystem::path root_;
  std::size_t max_rows_;
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> con_;
  std::vector<Instrument> instruments_;
  std::unordered_map<std::string, Buffer> quotes_;
  Buffer bars_;
  std::uint64_t files_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t rows_ = 0;
};

}  // namespace nacre::synth
