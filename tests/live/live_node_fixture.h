// Helpers for tests that run a whole live node (`environment = "live"`, the Zerodha adapter)
// against the in-process Kite emulator (shared by kite_live_node_test.cpp and
// kite_expiry_night_test.cpp): the node's config, the login a user leaves in the token file,
// the emulator's ledger and the node's log.
#pragma once

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/zerodha/kite_session.h"
#include "apps/kite_emulator/oms.h"
#include "apps/kite_emulator/runtime.h"
#include "trading/registry.h"
#include "trading/strategy.h"
#include "net/http_client.h"

namespace nacre::live_test {

// A test strategy on one option (its `instrument` parameter) that acts on the n-th quote of it
// (OnQuote); `T::kType` and `T::kDoc` name and describe it in the registry (Register).
class OnOneOption : public Strategy {
 public:
  OnOneOption(const StrategyId& id, InstrumentId instrument)
      : Strategy(id), instrument_(std::move(instrument)) {}
  template <typename T>
  static void Register(ComponentRegistry& registry, T** made = nullptr) {
    ParamSchema schema{T::kType, T::kDoc,
                       {ParamSpec::String("instrument").Required().Doc("the option")}};
    registry.RegisterStrategy(
        T::kType, std::move(schema), [made](const StrategyId& id, const Params& p) {
          auto s = std::make_unique<T>(id, *InstrumentId::Parse(p.GetString("instrument")));
          if (made != nullptr) *made = s.get();
          return s;
        });
  }

 protected:
  void OnStart() override { SubscribeQuoteTicks(instrument_); }
  void OnQuoteTick(const QuoteTick& q) override { OnQuote(++quotes_, q); }
  virtual void OnQuote(int n, const QuoteTick& q) = 0;
  const InstrumentId& instrument() const { return instrument_; }
  int quotes_ = 0;  // of the instrument so far

 private:
  InstrumentId instrument_;
};

// What the node logged into `log` (a tmpfile) so far.
inline std::string ReadLog(std::FILE* log) {
  std::fflush(log);
  std::rewind(log);
  std::string text;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, log) != nullptr) text += buf;
  return text;
}

// ReadLog, then the file is closed.
inline std::string ReadAndClose(std::FILE* log) {
  std::string text = ReadLog(log);
  std::fclose(log);
  return text;
}

// A session at the emulator's virtual now for user AB1234, written to `token_file` as
// `nacre kite login` leaves it. Returns the access token.
inline std::string LoginToTokenFile(kite_emu::Runtime& rt, const std::string& api_key,
                                    const std::string& api_secret,
                                    const std::filesystem::path& token_file) {
  const KiteSessionFile f = kite_emu::LoginAtNow(rt, api_key, api_secret, "AB1234").session;
  const Status written = WriteKiteSessionFile(token_file.string(), f);
  EXPECT_TRUE(written.ok()) << written.error();
  return f.access_token;
}

// Installs the emulator's fault plan `body` (its /__emu/faults JSON), as a test's control.
inline void PlanFaults(const kite_emu::Runtime& rt, const std::string& body) {
  net::HttpClient http("127.0.0.1", rt.http_port());
  net::HttpRequest plan;
  plan.method = "POST";
  plan.target = "/__emu/faults";
  plan.body = body;
  auto planned = http.Send(plan, 5 * kNanosPerSecond);
  EXPECT_TRUE(planned.ok() && planned->status == 200)
      << (planned.ok() ? planned->body : planned.error());
}

// The emulator's ledger (/__emu/ledger: the test oracle).
inline nlohmann::json Ledger(kite_emu::Runtime& rt) {
  nlohmann::json out;
  rt.OnIoThread([&] { out = rt.oms()->Ledger(); });
  return out;
}

// A live node's config against the emulator `rt` (null: ports no one listens on), its state,
// results and token file ("kite_session.json") in `dir`, API key "livekey", the clock taken
// from the emulator.
struct LiveNodeToml {
  std::string end;                         // [node] end, e.g. "2025-12-30T10:21"
  std::string starting_balance = "500000";  // [kite] starting_balance
  std::string kite_extra;                  // more [kite] keys
  std::string on_stop = "cancel";          // [node] on_stop
  std::string orders_poll_secs = "1";      // [kite] orders_poll_secs
  std::string strategies;                  // the [[strategies]] blocks
};
inline std::string LiveNodeConfig(const std::filesystem::path& dir, const kite_emu::Runtime* rt,
                                  const LiveNodeToml& t) {
  return fmt::format(R"(
[node]
environment = "live"
state_dir = "{state}"
end = "{end}"
on_stop = "{on_stop}"
stop_wait_secs = 5
[node.timeouts]
connect_secs = 10
portfolio_secs = 5
[output]
dir = "{out}"
[engine]
trader_id = "TRADER-001"
log_level = "INFO"
[kite]
api_key = "livekey"
base_url = "http://127.0.0.1:{http}"
ticker_url = "ws://127.0.0.1:{ws}"
token_file = "kite_session.json"
clock_from_emulator = true
starting_balance = "{balance}"
orders_poll_secs = {orders_poll}
{kite_extra}
{strategies}
)",
                     fmt::arg("state", (dir / "state").string()),
                     fmt::arg("out", (dir / "results").string()),
                     fmt::arg("http", rt ? rt->http_port() : 1),
                     fmt::arg("ws", rt ? rt->ticker_port() : 1), fmt::arg("end", t.end),
                     fmt::arg("on_stop", t.on_stop), fmt::arg("orders_poll", t.orders_poll_secs),
                     fmt::arg("balance", t.starting_balance),
                     fmt::arg("kite_extra", t.kite_extra), fmt::arg("strategies", t.strategies));
}

}  // namespace nacre::live_test
