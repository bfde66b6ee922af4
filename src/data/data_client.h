// DataClient: the interface the DataEngine routes subscriptions to. A backtest venue, the
// sandbox and the Zerodha ticker all implement it. Subscribe calls are asynchronous
// requests: data arrives later through the DataEngine's Process methods (on the kernel
// thread; live clients hand data to the kernel queue first).
#pragma once

#include "model/commands.h"
#include "model/data.h"
#include "model/identifiers.h"

namespace nacre {

class DataClient {
 public:
  virtual ~DataClient() = default;
  virtual const ClientId& id() const = 0;
  // The venue whose instruments this client serves (routing key).
  virtual const Venue& venue() const = 0;
  virtual void Connect() {}
  virtual void Disconnect() {}
  virtual bool is_connected() const { return true; }
  virtual void Subscribe(const DataSubscription& cmd) = 0;
  virtual void Unsubscribe(const DataSubscription& cmd) = 0;
};

}  // namespace nacre
