#include "common/message_bus.h"

#include "common/event_loop.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

namespace nacre {

bool TopicMatches(std::string_view pattern, std::string_view topic) {
  // Iterative glob with single-star backtracking: O(|pattern| * |topic|) worst case.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_t = 0;
  while (t < topic.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == topic[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

MessageBus::TopicHandle MessageBus::Topic(std::string_view name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return TopicHandle(it->second);
  TopicEntry& entry = topic_storage_.emplace_back();
  entry.name = std::string(name);
  topics_.emplace(entry.name, &entry);
  // Pending subscriptions are attached to every matching topic, this one included, by
  // ApplyDeferred; attaching them here too would deliver twice.
  auto eligible = [](const Subscription* s) { return s->active && !s->pending; };
  if (auto e = exact_subs_.find(entry.name); e != exact_subs_.end()) {
    for (Subscription* sub : e->second) {
      if (eligible(sub)) Attach(&entry, sub);
    }
  }
  for (Subscription* sub : wildcard_subs_) {
    if (eligible(sub) && TopicMatches(sub->pattern, entry.name)) Attach(&entry, sub);
  }
  return TopicHandle(&entry);
}

void MessageBus::Attach(TopicEntry* topic, Subscription* sub) {
  auto pos = std::find_if(topic->subs.begin(), topic->subs.end(), [sub](const Subscription* s) {
    return s->priority < sub->priority || (s->priority == sub->priority && s->id > sub->id);
  });
  topic->subs.insert(pos, sub);
  sub->attached.push_back(topic);
}

void MessageBus::AttachToTopics(Subscription* sub) {
  if (!sub->wildcard) {
    if (auto it = topics_.find(sub->pattern); it != topics_.end()) Attach(it->second, sub);
    return;
  }
  for (TopicEntry& t : topic_storage_) {
    if (TopicMatches(sub->pattern, t.name)) Attach(&t, sub);
  }
}

SubscriptionId MessageBus::AddSubscription(std::string_view pattern, const void* type_key,
                                           int priority, std::function<void(const void*)> fn) {
  auto sub = std::make_unique<Subscription>();
  sub->id = next_sub_id_++;
  sub->pattern = std::string(pattern);
  sub->type_key = type_key;
  sub->priority = priority;
  sub->fn = std::move(fn);
  sub->wildcard = sub->pattern.find_first_of("*?") != std::string::npos;
  Subscription* raw = sub.get();
  subs_.emplace(raw->id, std::move(sub));
  if (raw->wildcard) {
    wildcard_subs_.push_back(raw);
  } else {
    exact_subs_[raw->pattern].push_back(raw);
  }
  if (dispatch_depth_ > 0) {
    raw->pending = true;
    deferred_attach_.push_back(raw);
  } else {
    AttachToTopics(raw);
  }
  return raw->id;
}

void MessageBus::Unsubscribe(SubscriptionId id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  if (!it->second->active) return;
  it->second->active = false;
  unsubscribed_.push_back(id);
  needs_compaction_ = true;
  if (dispatch_depth_ == 0) ApplyDeferred();
}

void MessageBus::Dispatch(TopicEntry* topic, const void* type_key, const void* msg) {
  if (topic == nullptr) return;
  ++topic->publish_count;
  // Restores the depth even if a handler throws, so later subscriptions are not stuck pending.
  struct DepthGuard {
    MessageBus* bus;
    ~DepthGuard() {
      if (--bus->dispatch_depth_ == 0 &&
          (bus->needs_compaction_ || !bus->deferred_attach_.empty())) {
        bus->ApplyDeferred();
      }
    }
  };
  ++dispatch_depth_;
  DepthGuard guard{this};
  const std::size_t n = topic->subs.size();  // attachments are deferred while dispatching
  for (std::size_t i = 0; i < n; ++i) {
    Subscription* s = topic->subs[i];
    if (s->active && s->type_key == type_key) s->fn(msg);
  }
}

void MessageBus::ApplyDeferred() {
  // Attach first: a pending subscription that was also unsubscribed is freed by the
  // compaction below, so it must not be looked at after it.
  std::vector<Subscription*> pending;
  pending.swap(deferred_attach_);
  for (Subscription* sub : pending) {
    sub->pending = false;
    if (!sub->active) continue;
    AttachToTopics(sub);
  }
  if (needs_compaction_) {
    // Only the topics and pattern lists the inactive subscriptions are in are touched.
    auto inactive = [](const Subscription* s) { return !s->active; };
    bool wildcards = false;
    for (SubscriptionId id : unsubscribed_) {
      auto it = subs_.find(id);
      if (it == subs_.end()) continue;
      Subscription* sub = it->second.get();
      for (TopicEntry* t : sub->attached) std::erase_if(t->subs, inactive);
      sub->attached.clear();
      if (sub->wildcard) {
        wildcards = true;
      } else if (auto e = exact_subs_.find(sub->pattern); e != exact_subs_.end()) {
        std::erase_if(e->second, inactive);
        if (e->second.empty()) exact_subs_.erase(e);
      }
    }
    if (wildcards) std::erase_if(wildcard_subs_, inactive);
    for (SubscriptionId id : unsubscribed_) subs_.erase(id);
    unsubscribed_.clear();
    needs_compaction_ = false;
  }
}

std::size_t MessageBus::subscription_count() const {
  std::size_t n = 0;
  for (const auto& [id, s] : subs_) n += s->active ? 1 : 0;
  return n;
}

std::uint64_t MessageBus::publish_count(std::string_view topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second->publish_count;
}

std::vector<std::string> MessageBus::Topics() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : topics_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

Status MessageBus::AddEndpoint(std::string_view name, const void* type_key,
                               std::function<void(const void*)> fn) {
  const std::string key(name);
  if (endpoints_.count(key))
    return MakeError(fmt::format("endpoint '{}' already registered", name));
  auto it = endpoints_.emplace(key, Endpoint{type_key, std::move(fn), {}}).first;
  it->second.name = it->first;
  return Status::Ok();
}

void MessageBus::DeregisterEndpoint(std::string_view name) {
  ++endpoint_generation_;
  endpoints_.erase(std::string(name));
  responders_.erase(std::string(name));
}

Result<const MessageBus::Endpoint*> MessageBus::FindEndpoint(std::string_view name,
                                                              const void* type_key) const {
  auto it = endpoints_.find(name);
  if (it == endpoints_.end()) return MakeError(fmt::format("no endpoint '{}'", name));
  if (it->second.type_key != type_key) {
    return MakeError(fmt::format("endpoint '{}' does not accept this message type", name));
  }
  return &it->second;
}

void MessageBus::RunOnLoop(LoopTask task) { loop_->Run(std::move(task)); }

std::uint64_t MessageBus::NextSerial() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Status MessageBus::SendErased(std::string_view name, const void* type_key, const void* msg) {
  auto it = endpoints_.find(name);
  if (it == endpoints_.end()) return MakeError(fmt::format("no endpoint '{}'", name));
  if (it->second.type_key != type_key) {
    return MakeError(fmt::format("endpoint '{}' does not accept this message type", name));
  }
  it->second.fn(msg);
  return Status::Ok();
}

Status MessageBus::AddResponder(std::string_view name, const void* req_key, const void* resp_key,
                                std::function<void(const void*, void*)> fn) {
  const std::string key(name);
  if (responders_.count(key)) {
    return MakeError(fmt::format("request handler '{}' already registered", name));
  }
  responders_.emplace(key, Responder{req_key, resp_key, std::move(fn)});
  return Status::Ok();
}

Status MessageBus::RequestErased(std::string_view name, const void* req_key, const void* resp_key,
                                 const void* req, void* resp) {
  auto it = responders_.find(name);
  if (it == responders_.end()) return MakeError(fmt::format("no request handler '{}'", name));
  if (it->second.req_key != req_key || it->second.resp_key != resp_key) {
    return MakeError(
        fmt::format("request handler '{}' has different request/response types", name));
  }
  it->second.fn(req, resp);
  return Status::Ok();
}

}  // namespace nacre
