// CatalogSink: writes a synthetic chain (chain.h) into a Parquet catalog through the
// persistence Catalog writer (persistence/catalog.h):
//   {root}/data/chain/quote_tick/{underlying}/{start}_{end}.parquet   option and index quotes,
//                                               one file per IST day (layout kChain), or
//   {root}/data/quote_tick/{instrument_id}/{start}_{end}.parquet   per instrument (kPerInstrument)
//   {root}/data/bar/{bar_type}/{start}_{end}.parquet               the index's bars
//   {root}/data/instrument/*.parquet                               every instrument written
// with exact fixed-point raws and precision metadata (the catalog's format). Both layouts hold
// the same data and read back as the same stream.
// Memory: chain files hold one day's quotes at a time. Per instrument, each instrument's
// quotes are buffered until its series retires (or the buffer reaches `max_rows_per_file`,
// which starts a new file), so memory follows the live contracts, not the period. The root must not
// already hold a data/ folder with files: a synthetic set is written whole into a new folder (the
// catalog would refuse overlapping ranges anyway, but only after the generator had run up to them).
// Deterministic: rows are written in generation order and retired buffers in id order, so the
// same chain gives byte-identical files. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "persistence/catalog.h"
#include "persistence/catalog_chain.h"
#include "synth/chain.h"

namespace nacre::synth {

class CatalogSink : public ChainSink {
 public:
  static Result<std::unique_ptr<CatalogSink>> Open(
      const std::string& root, std::size_t max_rows_per_file = 1'000'000,
      CatalogLayout layout = CatalogLayout::kPerInstrument);

  Status OnInstrument(const Instrument& instrument) override;
  Status OnStep(const ChainStep& step) override;
  Status OnRetired(std::span<const InstrumentId> ids) override;
  Status Finish() override;

  std::uint64_t files_written() const { return files_; }
  std::uint64_t rows_written() const { return rows_; }
  // Bytes of every Parquet file under the root (walks the folder).
  std::uint64_t BytesOnDisk() const;

 private:
  CatalogSink(std::unique_ptr<Catalog> catalog, std::size_t max_rows, CatalogLayout layout)
      : catalog_(std::move(catalog)), max_rows_(max_rows) {
    if (layout == CatalogLayout::kChain) chain_ = std::make_unique<ChainWriter>(*catalog_);
  }
  Status AddQuote(const QuoteTick& q);
  Status FlushQuotes(std::vector<QuoteTick>& quotes);
  Status FlushBars();

  std::unique_ptr<Catalog> catalog_;
  std::size_t max_rows_;
  std::unique_ptr<ChainWriter> chain_;  // the chain layout's writer (else per instrument)
  std::vector<Instrument> instruments_;
  std::unordered_map<std::string, std::vector<QuoteTick>> quotes_;
  std::vector<Bar> bars_;
  std::uint64_t files_ = 0;
  std::uint64_t rows_ = 0;
};

}  // namespace nacre::synth
