#include "persistence/catalog_prefetch.h"

#include <algorithm>
#include <utility>

namespace nacre::catalog_detail {

PrefetchReader::~PrefetchReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status PrefetchReader::Next(std::vector<MarketData>& out, std::size_t max_items) {
  out.clear();
  if (max_items == 0) max_items = 1;
  if (finished_) return status_;
  if (!thread_.joinable()) {
    chunk_ = max_items;
    thread_ = std::thread([this] { Produce(); });
  }
  if (pos_ >= current_.size()) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (current_.capacity() != 0) free_.push_back(std::move(current_));
      cv_.wait(lock, [&] { return !queue_.empty(); });
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    cv_.notify_all();
    stats_ = item.stats;
    if (item.end) {
      finished_ = true;
      status_ = item.status;
      current_.clear();
      return status_;
    }
    current_ = std::move(item.data);
    pos_ = 0;
  }
  const std::size_t n = std::min(max_items, current_.size() - pos_);
  if (pos_ == 0 && n == current_.size()) {
    out.swap(current_);  // the whole chunk: no copy (out's old buffer is recycled)
    current_.clear();
    pos_ = 0;
    return Status::Ok();
  }
  out.assign(current_.begin() + static_cast<std::ptrdiff_t>(pos_),
             current_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
  pos_ += n;
  return Status::Ok();
}

void PrefetchReader::Produce() {
  for (;;) {
    std::vector<MarketData> buf;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || queue_.size() < kDepth; });
      if (stop_) return;
      if (!free_.empty()) {
        buf = std::move(free_.back());
        free_.pop_back();
      }
    }
    Item item;
    item.status = inner_->Next(buf, chunk_);
    item.stats = inner_->stats();
    const bool end = !item.status || buf.empty();
    item.end = end;
    item.data = std::move(buf);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(item));
    }
    cv_.notify_all();
    if (end) return;
  }
}

}  // namespace nacre::catalog_detail
