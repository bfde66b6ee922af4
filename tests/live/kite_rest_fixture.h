// The Kite emulator fixture (src/apps/kite_emulator/runtime_fixture.h: a small catalog, the
// replay paused at its first data, a hand-driven wall) stepped to the replayed day's 10:00,
// logged in, with a KiteRestClient on its REST port and the fault plan and ledger at hand.
// Shared by the REST and execution client tests.
#pragma once

#include <memory>
#include <string>

#include "adapters/zerodha/kite_rest_client.h"
#include "apps/kite_emulator/runtime_fixture.h"

namespace nacre::kite_emu {

class KiteRestFixture : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond));
    Login();
    symbol_ = call_key_.substr(call_key_.find(':') + 1);
    KiteRestClient::Options o;
    o.base_url = *ParseKiteUrl("http://127.0.0.1:" + std::to_string(rt_->http_port()), {"http"});
    o.api_key = "k";
    o.access_token = access_;
    rest_ = std::make_unique<KiteRestClient>(o);
  }
  void TearDown() override {
    rest_.reset();
    RuntimeTest::TearDown();
  }
  // Replaces the emulator's fault plan (JSON, as POST /__emu/faults takes it).
  void LoadPlan(const char* plan) {
    auto r = Send("POST", "/__emu/faults", plan);
    ASSERT_TRUE(r.ok()) << r.error();
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // The emulator's authoritative orders, trades and positions (the test oracle).
  json Ledger() { return Get("/__emu/ledger")["data"]; }
  std::size_t LedgerOrders() { return Ledger()["orders"].size(); }

  std::string symbol_;  // the call's Kite trading symbol
  std::unique_ptr<KiteRestClient> rest_;
};

}  // namespace nacre::kite_emu
