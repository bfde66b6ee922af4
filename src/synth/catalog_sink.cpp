#include "synth/catalog_sink.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace nacre::synth {

namespace fs = std::filesystem;

Result<std::unique_ptr<CatalogSink>> CatalogSink::Open(const std::string& root,
                                                       std::size_t max_rows_per_file,
                                                       CatalogLayout layout) {
  if (root.empty()) return MakeError("synth: empty output folder");
  if (max_rows_per_file == 0) return MakeError("synth: max_rows_per_file must be positive");
  std::error_code ec;
  const fs::path data = fs::path(root) / "data";
  if (fs::exists(data, ec) && !fs::is_empty(data, ec)) {
    return MakeError("synth: " + data.string() +
                     " already holds data; write a synthetic catalog into a new folder");
  }
  if (fs::exists(root, ec) && !fs::is_directory(root, ec)) {
    return MakeError("synth: " + root + " exists and is not a folder");
  }
  auto catalog = Catalog::Open(root);
  if (!catalog.ok()) return MakeError(catalog.error());
  return std::unique_ptr<CatalogSink>(
      new CatalogSink(std::move(*catalog), max_rows_per_file, layout));
}

Status CatalogSink::OnInstrument(const Instrument& instrument) {
  instruments_.push_back(instrument);
  quotes_.try_emplace(instrument.id.value());
  if (chain_) chain_->Define(instrument);
  return Status::Ok();
}

Status CatalogSink::FlushQuotes(std::vector<QuoteTick>& quotes) {
  if (quotes.empty()) return Status::Ok();
  if (Status s = catalog_->WriteQuotes(quotes.front().instrument_id, quotes); !s.ok()) return s;
  ++files_;
  rows_ += quotes.size();
  quotes.clear();
  quotes.shrink_to_fit();
  return Status::Ok();
}

Status CatalogSink::FlushBars() {
  if (bars_.empty()) return Status::Ok();
  if (Status s = catalog_->WriteBars(bars_.front().bar_type, bars_); !s.ok()) return s;
  ++files_;
  rows_ += bars_.size();
  bars_.clear();
  return Status::Ok();
}

Status CatalogSink::OnStep(const ChainStep& step) {
  bars_.push_back(step.underlying_bar);
  if (bars_.size() >= max_rows_) {
    if (Status s = FlushBars(); !s.ok()) return s;
  }
  if (Status s = AddQuote(step.underlying_quote); !s.ok()) return s;
  for (const QuoteTick& q : step.quotes) {
    if (Status s = AddQuote(q); !s.ok()) return s;
  }
  return Status::Ok();
}

Status CatalogSink::AddQuote(const QuoteTick& q) {
  auto it = quotes_.find(q.instrument_id.value());
  if (it == quotes_.end()) {
    return MakeError("synth: quote for an unannounced instrument " + q.instrument_id.value());
  }
  if (chain_) {
    ++rows_;
    return chain_->Add(q);
  }
  it->second.push_back(q);
  if (it->second.size() >= max_rows_) return FlushQuotes(it->second);
  return Status::Ok();
}

Status CatalogSink::OnRetired(std::span<const InstrumentId> ids) {
  for (const InstrumentId& id : ids) {
    auto it = quotes_.find(id.value());
    if (it == quotes_.end()) continue;
    if (Status s = FlushQuotes(it->second); !s.ok()) return s;
    quotes_.erase(it);
  }
  return Status::Ok();
}

Status CatalogSink::Finish() {
  // Remaining buffers in id order, so the write order is deterministic too.
  std::vector<std::string> keys;
  keys.reserve(quotes_.size());
  for (const auto& [k, b] : quotes_) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  for (const std::string& k : keys) {
    if (Status s = FlushQuotes(quotes_[k]); !s.ok()) return s;
  }
  quotes_.clear();
  if (chain_) {
    if (Status s = chain_->Finish(); !s.ok()) return s;
    files_ += chain_->files_written();
  }
  if (Status s = FlushBars(); !s.ok()) return s;
  if (Status s = catalog_->WriteInstruments(instruments_); !s.ok()) return s;
  ++files_;
  return Status::Ok();
}

std::uint64_t CatalogSink::BytesOnDisk() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(catalog_->root(), ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace nacre::synth
