#include "adapters/zerodha/kite_status.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_mocks_test_util.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
const fs::path kMocks = kite_mocks::Dir();

TEST(KiteStatus, EveryNameRoundTripsAndTheDocsSpellingIsRead) {
  for (int i = 0; i <= static_cast<int>(KiteStatus::kRejected); ++i) {
    const auto s = static_cast<KiteStatus>(i);
    auto back = ParseKiteStatus(ToString(s));
    ASSERT_TRUE(back.ok()) << ToString(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(*ParseKiteStatus("PUT ORDER REQUEST RECEIVED"), KiteStatus::kPutOrderReqReceived);
  auto bad = ParseKiteStatus("open");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "unknown Kite order status 'open'");
}

TEST(KiteStatus, EveryStatusInZerodhasOrderMocksIsKnown) {
  for (const char* file : {"orders.json", "order_info.json"}) {
    const fs::path f = kMocks / file;
    if (!fs::exists(f)) GTEST_SKIP() << f.string() << " not present (../shared)";
    const nlohmann::json doc = nlohmann::json::parse(kite_mocks::Read(f));
    int seen = 0;
    for (const auto& o : doc.at("data")) {
      auto s = ParseKiteStatus(o.at("status").get<std::string>());
      EXPECT_TRUE(s.ok()) << file << ": " << s.error();
      ++seen;
    }
    EXPECT_GT(seen, 0) << file;
  }
}

TEST(KiteStatus, WhatEachStatusSaysOfANacreOrder) {
  EXPECT_EQ(ToNacreStatus(KiteStatus::kOpenPending), OrderStatus::kSubmitted);
  EXPECT_EQ(ToNacreStatus(KiteStatus::kTriggerPending), OrderStatus::kAccepted);
  EXPECT_EQ(ToNacreStatus(KiteStatus::kModifyPending), OrderStatus::kPendingUpdate);
  EXPECT_EQ(ToNacreStatus(KiteStatus::kCancelPending), OrderStatus::kPendingCancel);
  EXPECT_EQ(ToNacreStatus(KiteStatus::kComplete), OrderStatus::kFilled);
  EXPECT_EQ(ToNacreStatus(KiteStatus::kCancelled), OrderStatus::kCanceled);
  EXPECT_TRUE(IsTransient(KiteStatus::kValidationPending));
  EXPECT_FALSE(IsTransient(KiteStatus::kOpen));
}

TEST(KiteStatus, TheLifeCycleMovesForwardAndTerminalStaysTerminal) {
  using K = KiteStatus;
  const K place[] = {K::kPutOrderReqReceived, K::kValidationPending, K::kOpenPending, K::kOpen,
                     K::kComplete};
  for (std::size_t i = 0; i + 1 < std::size(place); ++i) {
    EXPECT_TRUE(KiteTransitionAllowed(place[i], place[i + 1])) << ToString(place[i]);
  }
  const K modify[] = {K::kOpen, K::kModifyValidationPending, K::kModifyPending, K::kModified,
                      K::kOpen};
  for (std::size_t i = 0; i + 1 < std::size(modify); ++i) {
    EXPECT_TRUE(KiteTransitionAllowed(modify[i], modify[i + 1])) << ToString(modify[i]);
  }
  EXPECT_TRUE(KiteTransitionAllowed(K::kCancelPending, K::kComplete));  // a fill won the race
  EXPECT_TRUE(KiteTransitionAllowed(K::kCancelPending, K::kOpen));  // the cancel was refused
  EXPECT_FALSE(KiteTransitionAllowed(K::kCancelPending, K::kModifyPending));
  EXPECT_FALSE(KiteTransitionAllowed(K::kComplete, K::kOpen));
  EXPECT_FALSE(KiteTransitionAllowed(K::kCancelled, K::kComplete));
  EXPECT_FALSE(KiteTransitionAllowed(K::kRejected, K::kOpen));
  EXPECT_FALSE(KiteTransitionAllowed(K::kPutOrderReqReceived, K::kOpen));  // skips validation
}

}  // namespace
}  // namespace nacre
