#include "common/inbox.h"

#include <algorithm>
#include <utility>

namespace nacre {

namespace {
constexpr std::pair<ControlCommand, std::string_view> kControlNames[] = {
    {ControlCommand::kStatus, "status"},        {ControlCommand::kHalt, "halt"},
    {ControlCommand::kResume, "resume"},        {ControlCommand::kCancelAll, "cancel-all"},
    {ControlCommand::kFlatten, "flatten"},       {ControlCommand::kReconcile, "reconcile"},
};
}  // namespace

std::string_view ToString(ControlCommand c) {
  for (const auto& [cmd, name] : kControlNames) {
    if (cmd == c) return name;
  }
  return "?";
}

std::optional<ControlCommand> ParseControlCommand(std::string_view text) {
  for (const auto& [cmd, name] : kControlNames) {
    if (name == text) return cmd;
  }
  return std::nullopt;
}

void Inbox::PushExec(UnixNanos ts, ExecMessage message) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    exec_.push_back(ExecItem{ts, std::move(message)});
    ++stats_.exec_pushed;
    stats_.exec_high_water = std::max(stats_.exec_high_water, exec_.size());
  }
  cv_.notify_one();
}

void Inbox::PushData(const MarketData& data) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    ++stats_.data_pushed;
    const auto* quote = std::get_if<QuoteTick>(&data);
    if (quote != nullptr && data_.size() >= config_.conflate_above) {
      auto it = waiting_quote_.find(quote->instrument_id);
      if (it != waiting_quote_.end()) {
        data_[static_cast<std::size_t>(it->second - data_popped_)] = data;
        ++stats_.conflated;
        return;
      }
    }
    if (data_.size() >= config_.capacity) {
      if (quote != nullptr) {
        ++stats_.dropped;
        return;
      }
      ++stats_.over_capacity;
    }
    if (quote != nullptr) waiting_quote_[quote->instrument_id] = data_popped_ + data_.size();
    data_.push_back(data);
    stats_.data_high_water = std::max(stats_.data_high_water, data_.size());
  }
  cv_.notify_one();
}

void Inbox::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Inbox::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [this] { return closed_ || HasItemsLocked(); });
  return HasItemsLocked();
}

bool Inbox::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return closed_ || HasItemsLocked(); });
  return HasItemsLocked();
}

void Inbox::Take(std::vector<ExecItem>& exec, std::vector<MarketData>& data,
                 std::size_t max_data) {
  exec.clear();
  data.clear();
  std::lock_guard lock(mu_);
  while (!exec_.empty()) {
    exec.push_back(std::move(exec_.front()));
    exec_.pop_front();
  }
  while (!data_.empty() && data.size() < max_data) {
    if (const auto* q = std::get_if<QuoteTick>(&data_.front())) {
      auto it = waiting_quote_.find(q->instrument_id);
      if (it != waiting_quote_.end() && it->second == data_popped_) waiting_quote_.erase(it);
    }
    data.push_back(data_.front());
    data_.pop_front();
    ++data_popped_;
  }
}

bool Inbox::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

bool Inbox::empty() const {
  std::lock_guard lock(mu_);
  return !HasItemsLocked();
}

std::size_t Inbox::data_size() const {
  std::lock_guard lock(mu_);
  return data_.size();
}

InboxStats Inbox::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace nacre
