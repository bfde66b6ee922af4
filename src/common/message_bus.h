// MessageBus: publish/subscribe on named topics (with '*' and '?' wildcards in subscription
// patterns), point-to-point endpoints and request/response.
//
// Subscriptions are resolved when they are made: each concrete topic keeps its ordered
// handler list, and a pattern subscription is attached to every matching topic, existing or
// created later. Publishers resolve a topic name once (Topic()) and then Publish through the
// handle: no string work, no lookup and no allocation per message. Handlers run in
// (priority descending, subscription order) order, so delivery is deterministic. Messages are
// typed: a handler receives only messages of the type it subscribed with.
//
// Re-entrancy: a handler may publish, subscribe or unsubscribe. Unsubscribing takes effect at
// once; a subscription made during a publish takes effect after it completes.
// Not thread-safe: kernel thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/loop_task.h"
#include "core/result.h"

namespace nacre {

class EventLoop;

// A unique key per message type (the address of a per-type static).
template <typename T>
const void* TypeKey() {
  static const char key = 0;
  return &key;
}

// Glob match: '*' matches any run of characters (including none), '?' exactly one.
bool TopicMatches(std::string_view pattern, std::string_view topic);

using SubscriptionId = std::uint64_t;

class MessageBus {
  struct TopicEntry;
  struct Subscription {
    SubscriptionId id = 0;
    std::string pattern;
    const void* type_key = nullptr;
    int priority = 0;
    std::function<void(const void*)> fn;
    bool active = true;
    bool pending = false;  // made during a publish; attached when the outermost one completes
    bool wildcard = false;             // the pattern has '*' or '?'
    std::vector<TopicEntry*> attached;  // topics it is attached to (for detaching)
  };
  struct TopicEntry {
    std::string name;
    std::vector<Subscription*> subs;  // sorted: priority desc, id asc
    std::uint64_t publish_count = 0;
  };

 public:
  class TopicHandle {
   public:
    TopicHandle() = default;
    const std::string& name() const { return entry_->name; }
    bool valid() const { return entry_ != nullptr; }
    std::size_t subscriber_count() const { return entry_ ? entry_->subs.size() : 0; }

   private:
    friend class MessageBus;
    explicit TopicHandle(TopicEntry* e) : entry_(e) {}
    TopicEntry* entry_ = nullptr;
  };

  MessageBus() = default;
  MessageBus(const MessageBus&) = delete;
  MessageBus& operator=(const MessageBus&) = delete;

  // Resolves (creating if needed) a concrete topic; cache the handle for hot paths.
  TopicHandle Topic(std::string_view name);

  template <typename T>
  SubscriptionId Subscribe(std::string_view pattern, std::function<void(const T&)> handler,
                           int priority = 0) {
    auto fn = [h = std::move(handler)](const void* msg) { h(*static_cast<const T*>(msg)); };
    return AddSubscription(pattern, TypeKey<T>(), priority, std::move(fn));
  }
  void Unsubscribe(SubscriptionId id);

  template <typename T>
  void Publish(TopicHandle topic, const T& msg) {
    Dispatch(topic.entry_, TypeKey<T>(), &msg);
  }
  // Convenience for cold paths: resolves the topic by name first.
  template <typename T>
  void Publish(std::string_view topic, const T& msg) {
    Publish(Topic(topic), msg);
  }

  // Point-to-point: one handler per endpoint name.
  template <typename T>
  Status RegisterEndpoint(std::string_view name, std::function<void(const T&)> handler) {
    auto fn = [h = std::move(handler)](const void* msg) { h(*static_cast<const T*>(msg)); };
    return AddEndpoint(name, TypeKey<T>(), std::move(fn));
  }
  void DeregisterEndpoint(std::string_view name);
  // With an event loop attached, a Send from inside a handler is queued and runs after that
  // handler returns (EventLoop: handlers never nest); an unknown endpoint or a wrong type is
  // still refused at once.
  template <typename T>
  Status Send(std::string_view endpoint, const T& msg) {
    return Send(endpoint, msg, nullptr);
  }
  // A sender's memo of an endpoint it sends to often: a send through it compares the name with
  // the endpoint's (no hashing). It is looked up anew after any deregistration, and when it was
  // made on another bus, for another message type or for another name.
  class EndpointMemo {
   private:
    friend class MessageBus;
    const void* endpoint_ = nullptr;  // the bus's Endpoint
    const void* type_key_ = nullptr;
    std::uint64_t bus_ = 0;  // the bus's serial (a new bus may reuse an old one's address)
    std::uint64_t generation_ = 0;
  };
  template <typename T>
  Status Send(std::string_view endpoint, const T& msg, EndpointMemo& memo) {
    return Send(endpoint, msg, &memo);
  }
  template <typename T>
  Status SendNow(std::string_view endpoint, const T& msg, EndpointMemo& memo) {
    auto ep = Resolve(endpoint, TypeKey<T>(), &memo);
    if (!ep) return Status(std::move(ep).take_error());
    (*ep)->fn(&msg);
    return Status::Ok();
  }
  // Sends at once, even from inside a handler: for one engine handing a command or event to
  // the next (risk -> execution -> client), which is part of handling the first command, not
  // a new one. Actors and strategies use Send.
  template <typename T>
  Status SendNow(std::string_view endpoint, const T& msg) {
    return SendErased(endpoint, TypeKey<T>(), &msg);
  }
  // Commands sent through Send run as event-loop handlers (the Kernel attaches its loop).
  void AttachLoop(EventLoop* loop) { loop_ = loop; }
  std::uint64_t send_errors() const { return send_errors_; }

 private:
  template <typename T>
  Status Send(std::string_view endpoint, const T& msg, EndpointMemo* memo) {
    if (loop_ == nullptr && memo == nullptr) return SendErased(endpoint, TypeKey<T>(), &msg);
    auto ep = Resolve(endpoint, TypeKey<T>(), memo);
    if (!ep) return Status(std::move(ep).take_error());
    if (loop_ == nullptr) {
      (*ep)->fn(&msg);
      return Status::Ok();
    }
    // The endpoint is resolved now (no name copy, no lookup later); one registered after a
    // deregistration is a different generation and the deferred send is dropped, counted.
    // `m = msg`, not `msg`: a copy of a const reference is a const member, which makes the
    // closure copy-only, and LoopTask keeps only nothrow-movable callables inline (a capture
    // of `msg` cost a heap allocation per command).
    auto deferred = [this, e = *ep, gen = endpoint_generation_, m = msg] {
      if (gen != endpoint_generation_) {
        ++send_errors_;
        return;
      }
      e->fn(&m);
    };
    using Deferred = decltype(deferred);
    static_assert(!std::is_nothrow_move_constructible_v<T> || sizeof(Deferred) > LoopTask::kInline ||
                      LoopTask::kStoresInline<Deferred>,
                  "a message that could be stored inline must be");
    RunOnLoop(std::move(deferred));
    return Status::Ok();
  }

 public:

  // Request/response: the handler computes the response synchronously on the kernel thread.
  template <typename Req, typename Resp>
  Status RegisterRequestHandler(std::string_view name, std::function<Resp(const Req&)> handler) {
    auto fn = [h = std::move(handler)](const void* req, void* resp) {
      *static_cast<Resp*>(resp) = h(*static_cast<const Req*>(req));
    };
    return AddResponder(name, TypeKey<Req>(), TypeKey<Resp>(), std::move(fn));
  }
  template <typename Req, typename Resp>
  Result<Resp> Request(std::string_view name, const Req& req) {
    Resp resp{};
    if (Status s = RequestErased(name, TypeKey<Req>(), TypeKey<Resp>(), &req, &resp); !s)
      return MakeError(s.error());
    return resp;
  }

  std::size_t topic_count() const { return topics_.size(); }
  std::size_t subscription_count() const;
  std::uint64_t publish_count(std::string_view topic) const;
  std::vector<std::string> Topics() const;  // sorted
  bool HasEndpoint(std::string_view name) const {
    return endpoints_.find(name) != endpoints_.end();
  }
  bool HasRequestHandler(std::string_view name) const {
    return responders_.find(name) != responders_.end();
  }

 private:
  struct Endpoint {
    const void* type_key = nullptr;
    std::function<void(const void*)> fn;
    std::string_view name;  // the map's key (a node's: stable while the endpoint is registered)
  };
  struct Responder {
    const void* req_key = nullptr;
    const void* resp_key = nullptr;
    std::function<void(const void*, void*)> fn;
  };

  SubscriptionId AddSubscription(std::string_view pattern, const void* type_key, int priority,
                                 std::function<void(const void*)> fn);
  void Attach(TopicEntry* topic, Subscription* sub);
  // Attaches a subscription to every existing topic its pattern matches.
  void AttachToTopics(Subscription* sub);
  void Dispatch(TopicEntry* topic, const void* type_key, const void* msg);
  void ApplyDeferred();
  Status AddEndpoint(std::string_view name, const void* type_key,
                     std::function<void(const void*)> fn);
  Status SendErased(std::string_view name, const void* type_key, const void* msg);
  struct Endpoint;
  Result<const Endpoint*> FindEndpoint(std::string_view name, const void* type_key) const;
  // FindEndpoint through `memo` (null: no memo): the memo's endpoint while it is still valid.
  Result<const Endpoint*> Resolve(std::string_view name, const void* type_key,
                                  EndpointMemo* memo) const {
    if (memo != nullptr && memo->bus_ == serial_ && memo->generation_ == endpoint_generation_ &&
        memo->type_key_ == type_key && memo->endpoint_ != nullptr) {
      // Valid while the serial and generation match: no endpoint was removed since.
      const auto* ep = static_cast<const Endpoint*>(memo->endpoint_);
      if (ep->name == name) return ep;
    }
    auto ep = FindEndpoint(name, type_key);
    if (ep && memo != nullptr) {
      memo->endpoint_ = *ep;
      memo->type_key_ = type_key;
      memo->bus_ = serial_;
      memo->generation_ = endpoint_generation_;
    }
    return ep;
  }
  void RunOnLoop(LoopTask task);
  Status AddResponder(std::string_view name, const void* req_key, const void* resp_key,
                      std::function<void(const void*, void*)> fn);
  Status RequestErased(std::string_view name, const void* req_key, const void* resp_key,
                       const void* req, void* resp);

  std::deque<TopicEntry> topic_storage_;  // stable addresses
  // Looked up by string_view without building a string (publishers pass names they built).
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, TopicEntry*, NameHash, std::equal_to<>> topics_;
  std::map<SubscriptionId, std::unique_ptr<Subscription>> subs_;
  // Subscriptions by kind, so resolving is a hash lookup plus the wildcard patterns only (not
  // every subscription against every topic): exact patterns by name, wildcards in id order.
  std::unordered_map<std::string, std::vector<Subscription*>> exact_subs_;
  std::vector<Subscription*> wildcard_subs_;
  SubscriptionId next_sub_id_ = 1;
  int dispatch_depth_ = 0;
  std::vector<Subscription*> deferred_attach_;
  bool needs_compaction_ = false;
  std::vector<SubscriptionId> unsubscribed_;  // to detach and free at the next compaction
  // Looked up by string_view on every command and request (no name copied per message).
  std::unordered_map<std::string, Endpoint, NameHash, std::equal_to<>> endpoints_;
  std::unordered_map<std::string, Responder, NameHash, std::equal_to<>> responders_;
  EventLoop* loop_ = nullptr;
  std::uint64_t send_errors_ = 0;
  std::uint64_t endpoint_generation_ = 0;  // bumped by every deregistration
  const std::uint64_t serial_ = NextSerial();  // this bus among all made in the process
  static std::uint64_t NextSerial();
};

}  // namespace nacre
