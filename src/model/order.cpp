#include "model/order.h"

#include <fmt/format.h>

#include <mutex>
#include <new>

namespace nacre {

std::string_view EventName(OrderEventKind k) {
  static constexpr std::string_view kNames[] = {
      "OrderInitialized",   "OrderDenied",        "OrderSubmitted",      "OrderAccepted",
      "OrderRejected",      "OrderCanceled",      "OrderExpired",        "OrderTriggered",
      "OrderPendingUpdate", "OrderPendingCancel", "OrderModifyRejected", "OrderCancelRejected",
      "OrderUpdated",       "OrderFilled"};
  return kNames[static_cast<int>(k)];
}

std::optional<OrderStatus> NextOrderStatus(OrderStatus from, OrderEventKind ev,
                                           OrderStatus previous, bool fill_completes) {
  using S = OrderStatus;
  using E = OrderEventKind;
  const S filled = fill_completes ? S::kFilled : S::kPartiallyFilled;
  switch (from) {
    case S::kInitialized:
      switch (ev) {
        case E::kDenied:
          return S::kDenied;
        case E::kSubmitted:
          return S::kSubmitted;
        // External orders (seen first at the venue, e.g. placed on Kite web).
        case E::kRejected:
          return S::kRejected;
        case E::kAccepted:
          return S::kAccepted;
        case E::kCanceled:
          return S::kCanceled;
        case E::kExpired:
          return S::kExpired;
        case E::kTriggered:
          return S::kTriggered;
        default:
          return std::nullopt;
      }
    case S::kSubmitted:
      switch (ev) {
        case E::kPendingUpdate:
          return S::kPendingUpdate;
        case E::kPendingCancel:
          return S::kPendingCancel;
        case E::kRejected:
          return S::kRejected;
        case E::kCanceled:
          return S::kCanceled;  // IOC canceled before acceptance
        case E::kExpired:
          return S::kExpired;  // a DAY order sent and never acknowledged, gone with its day
        case E::kAccepted:
          return S::kAccepted;
        case E::kFilled:
          return filled;
        default:
          return std::nullopt;
      }
    case S::kAccepted:
      switch (ev) {
        case E::kRejected:
          return S::kRejected;
        case E::kPendingUpdate:
          return S::kPendingUpdate;
        case E::kPendingCancel:
          return S::kPendingCancel;
        case E::kCanceled:
          return S::kCanceled;
        case E::kTriggered:
          return S::kTriggered;
        case E::kExpired:
          return S::kExpired;
        case E::kFilled:
          return filled;
        case E::kUpdated:
          return S::kAccepted;  // venue-side modify without a pending state
        default:
          return std::nullopt;
      }
    case S::kCanceled:
      if (ev == E::kFilled) return filled;  // a fill can race a cancel
      return std::nullopt;
    case S::kPendingUpdate:
      switch (ev) {
        case E::kRejected:
          return S::kRejected;
        case E::kAccepted:
          return S::kAccepted;
        case E::kCanceled:
          return S::kCanceled;
        case E::kExpired:
          return S::kExpired;
        case E::kTriggered:
          return S::kTriggered;
        case E::kPendingUpdate:
          return S::kPendingUpdate;
        case E::kPendingCancel:
          return S::kPendingCancel;
        case E::kFilled:
          return filled;
        case E::kModifyRejected:
        case E::kUpdated:
          return previous;
        default:
          return std::nullopt;
      }
    case S::kPendingCancel:
      switch (ev) {
        case E::kRejected:
          return S::kRejected;
        case E::kPendingCancel:
          return S::kPendingCancel;
        case E::kCanceled:
          return S::kCanceled;
        case E::kExpired:
          return S::kExpired;
        case E::kAccepted:
          return S::kAccepted;  // cancel failed
        case E::kFilled:
          return filled;
        case E::kCancelRejected:
          return previous;
        // A modify sent before the cancel is answered while the cancel travels: its fields
        // apply (or it is refused), and the order stays pending cancel.
        case E::kUpdated:
        case E::kModifyRejected:
        case E::kTriggered:
          return S::kPendingCancel;
        default:
          return std::nullopt;
      }
    case S::kTriggered:
      switch (ev) {
        case E::kRejected:
          return S::kRejected;
        case E::kPendingUpdate:
          return S::kPendingUpdate;
        case E::kPendingCancel:
          return S::kPendingCancel;
        case E::kCanceled:
          return S::kCanceled;
        case E::kExpired:
          return S::kExpired;
        case E::kFilled:
          return filled;
        case E::kUpdated:
          return S::kTriggered;
        default:
          return std::nullopt;
      }
    case S::kPartiallyFilled:
      switch (ev) {
        case E::kPendingUpdate:
          return S::kPendingUpdate;
        case E::kPendingCancel:
          return S::kPendingCancel;
        case E::kCanceled:
          return S::kCanceled;
        case E::kExpired:
          return S::kExpired;
        case E::kFilled:
          return filled;
        case E::kAccepted:
          return S::kAccepted;
        case E::kUpdated:
          return S::kPartiallyFilled;
        default:
          return std::nullopt;
      }
    case S::kFilled:
      // A fill beyond the order quantity is an overfill: recorded (overfill_qty) and applied
      // to the position, never dropped, since the venue says it happened.
      if (ev == E::kFilled) return S::kFilled;
      return std::nullopt;
    case S::kDenied:
    case S::kRejected:
    case S::kExpired:
      return std::nullopt;
  }
  return std::nullopt;
}

OrderEventHeader MakeOrderEventHeader(const Order& order, const Uuid4& event_id, UnixNanos ts_event,
                                      UnixNanos ts_init) {
  OrderEventHeader h;
  h.trader_id = order.trader_id();
  h.strategy_id = order.strategy_id();
  h.instrument_id = order.instrument_id();
  h.client_order_id = order.client_order_id();
  h.event_id = event_id;
  h.ts_event = ts_event;
  h.ts_init = ts_init;
  return h;
}

// A copy moved in (the hot path, the factory's, moves without one).
Order::Order(const OrderInitialized& init) : Order(OrderInitialized(init)) {}

Order::Order(OrderInitialized&& init)
    : init_(std::move(init)),
      quantity_(init_.quantity),
      filled_qty_(Quantity::Zero(init_.quantity.precision())),
      price_(init_.price),
      trigger_price_(init_.trigger_price),
      ts_last_(init_.ts_init) {}

bool Order::AssignToList(const OrderListId& list, ContingencyType contingency,
                         std::vector<ClientOrderId> linked, const ClientOrderId& parent) {
  if (status_ != OrderStatus::kInitialized) return false;
  init_.order_list_id = list;
  init_.contingency = contingency;
  init_.linked_order_ids = std::move(linked);
  init_.parent_order_id = parent;
  return true;
}

bool Order::is_open() const {
  switch (status_) {
    case OrderStatus::kAccepted:
    case OrderStatus::kTriggered:
    case OrderStatus::kPendingUpdate:
    case OrderStatus::kPendingCancel:
    case OrderStatus::kPartiallyFilled:
      return true;
    default:
      return false;
  }
}

Status Order::Apply(const OrderEvent& event) {
  const OrderEventHeader& h = HeaderOf(event);
  const OrderEventKind kind = KindOf(event);
  if (h.client_order_id != init_.client_order_id) {
    return MakeError(fmt::format("{} for {} applied to order {}", EventName(kind),
                                 h.client_order_id.value(), init_.client_order_id.value()));
  }
  if (kind == OrderEventKind::kInitialized) {
    return MakeError(fmt::format("order {} already initialized", init_.client_order_id.value()));
  }
  bool completes = false;
  if (const auto* fill = std::get_if<OrderFilled>(&event)) {
    if (fill->last_qty.is_zero()) {
      return MakeError(fmt::format("fill {} for {} has zero quantity", fill->trade_id.value(),
                                   init_.client_order_id.value()));
    }
    for (const TradeId& t : trade_ids_) {
      if (t == fill->trade_id) {
        return MakeError(fmt::format("duplicate fill trade_id={} for {}", t.value(),
                                     init_.client_order_id.value()));
      }
    }
    completes = (filled_qty_ + fill->last_qty) >= quantity_;
  }
  const auto next = NextOrderStatus(status_, kind, previous_status_, completes);
  if (!next) {
    return MakeError(fmt::format("invalid order state transition: {} in state {} for {}",
                                 EventName(kind), ToString(status_),
                                 init_.client_order_id.value()));
  }
  // Remember where a pending state came from so a rejected modify/cancel can restore it.
  if ((*next == OrderStatus::kPendingUpdate || *next == OrderStatus::kPendingCancel) &&
      status_ != OrderStatus::kPendingUpdate && status_ != OrderStatus::kPendingCancel) {
    previous_status_ = status_;
  }
  std::visit(
      [this](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (requires { ev.account_id; }) {
          if (!ev.account_id.empty()) account_id_ = ev.account_id;
        }
        if constexpr (requires { ev.venue_order_id; }) {
          if (!ev.venue_order_id.empty()) venue_order_id_ = ev.venue_order_id;
        }
        if constexpr (std::is_same_v<T, OrderUpdated>) {
          quantity_ = ev.quantity;
          if (ev.price) price_ = ev.price;
          if (ev.trigger_price) trigger_price_ = ev.trigger_price;
        } else if constexpr (std::is_same_v<T, OrderTriggered>) {
          triggered_ = true;
        } else if constexpr (std::is_same_v<T, OrderFilled>) {
          ApplyFill(ev);
        }
      },
      event);
  // Triggered while a cancel travels: a refused cancel must leave it TRIGGERED.
  if (kind == OrderEventKind::kTriggered && status_ == OrderStatus::kPendingCancel) {
    previous_status_ = OrderStatus::kTriggered;
  }
  status_ = *next;
  ts_last_ = h.ts_event;
  ++event_count_;
  return Status::Ok();
}

void Order::ApplyFill(const OrderFilled& fill) {
  const Quantity before = filled_qty_;
  filled_qty_ = filled_qty_ + fill.last_qty;
  if (!fill.position_id.empty()) position_id_ = fill.position_id;
  // avg = (avg*before + px*qty) / (before + qty), kept at 9 decimals.
  const Int128 prev = avg_px_ ? static_cast<Int128>(avg_px_->raw()) * before.raw() : 0;
  const Int128 add = static_cast<Int128>(fill.last_px.raw()) * fill.last_qty.raw();
  const auto avg = static_cast<std::int64_t>(DivRound(prev + add, filled_qty_.raw()));
  avg_px_ = Price::Raw(avg, kMaxPrecision);
  commission_ = commission_ + fill.commission;
  trade_ids_.push_back(fill.trade_id);
}

// The order pool. Each thread keeps a list of free blocks, taken and given back without a
// lock; an empty list takes the shared list's blocks, else a new slab of kBlocksPerSlab. A
// thread that ends gives its blocks to the shared list, and an order made or deleted after that
// (by a thread-local owner destroyed later) takes from or goes to the shared list directly.
// Slabs are never returned to the system. For orders made and deleted on one thread (the
// kernel's), the pool holds what the most orders alive at once needed, and an engine that is
// reset makes its next run's orders in its last run's memory. Blocks deleted on another thread
// join that thread's list, and the maker carves new slabs meanwhile. Under AddressSanitizer
// orders come from the heap, so a use after free is still caught.
namespace {

constexpr bool kPooled = NACRE_ORDER_POOL == 1;

constexpr std::size_t kBlocksPerSlab = 128;
static_assert(alignof(Order) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

struct FreeBlock {
  FreeBlock* next;
};

// Starts a free block's life in storage an order left (or a new slab's).
FreeBlock* MakeBlock(void* where, FreeBlock* next) { return ::new (where) FreeBlock{next}; }

struct SharedBlocks {
  std::mutex mu;
  FreeBlock* head = nullptr;
};
SharedBlocks& Shared() {
  // Never destroyed: orders owned by statics are deleted by the main thread's static
  // destructors, after its thread-locals, and detached threads may outlive them all.
  static SharedBlocks* shared = new SharedBlocks();
  return *shared;
}

// Trivially destructible, so it can be used until the thread's very end.
struct LocalBlocks {
  FreeBlock* head = nullptr;
  bool ended = false;  // the thread's exit handed its blocks on: use the shared list
};
thread_local LocalBlocks local;

// Puts the list from `head` (ending in nullptr) in front of the shared list.
void GiveToShared(FreeBlock* head) {
  if (head == nullptr) return;
  FreeBlock* tail = head;
  while (tail->next != nullptr) tail = tail->next;
  std::lock_guard<std::mutex> lock(Shared().mu);
  tail->next = Shared().head;
  Shared().head = head;
}

struct HandOnAtExit {
  ~HandOnAtExit() {
    GiveToShared(local.head);
    local.head = nullptr;
    local.ended = true;
  }
};
thread_local HandOnAtExit hand_on_at_exit;

// Makes sure this thread's blocks go to the shared list when it ends (constructs the
// thread-local once).
void RegisterThread() { static_cast<void>(&hand_on_at_exit); }

FreeBlock* TakeAllShared() {
  std::lock_guard<std::mutex> lock(Shared().mu);
  FreeBlock* all = Shared().head;
  Shared().head = nullptr;
  return all;
}

FreeBlock* TakeOneShared() {
  std::lock_guard<std::mutex> lock(Shared().mu);
  FreeBlock* one = Shared().head;
  if (one != nullptr) Shared().head = one->next;
  return one;
}

FreeBlock* NewSlab() {
  char* slab = static_cast<char*>(::operator new(kBlocksPerSlab * sizeof(Order)));
  FreeBlock* head = nullptr;
  for (std::size_t i = kBlocksPerSlab; i-- > 0;) {  // handed out in address order
    head = MakeBlock(slab + i * sizeof(Order), head);
  }
  return head;
}

}  // namespace

void* Order::operator new(std::size_t size) {
  if (!kPooled || size != sizeof(Order)) return ::operator new(size);
  if (local.head == nullptr) {
    if (local.ended) {
      if (FreeBlock* one = TakeOneShared()) return one;
      FreeBlock* slab = NewSlab();
      GiveToShared(slab->next);  // keep one, share the rest
      return slab;
    }
    FreeBlock* blocks = TakeAllShared();
    if (blocks == nullptr) blocks = NewSlab();
    RegisterThread();
    local.head = blocks;
  }
  FreeBlock* b = local.head;
  local.head = b->next;
  return b;
}

void Order::operator delete(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  if (!kPooled || size != sizeof(Order)) {
    ::operator delete(p, size);
    return;
  }
  if (local.ended) {
    GiveToShared(MakeBlock(p, nullptr));
    return;
  }
  if (local.head == nullptr) RegisterThread();
  local.head = MakeBlock(p, local.head);
}

}  // namespace nacre
