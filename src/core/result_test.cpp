#include "core/result.h"

#include <gtest/gtest.h>

namespace nacre {
namespace {

Status Fails(ErrorCode c) { return MakeError(c, "why"); }

TEST(Status, CarriesACodeBesideTheMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().code(), ErrorCode::kUnknown);
  const Status rate = Fails(ErrorCode::kRateLimited);
  EXPECT_FALSE(rate.ok());
  EXPECT_TRUE(rate.Is(ErrorCode::kRateLimited));
  EXPECT_FALSE(rate.Is(ErrorCode::kToken));
  EXPECT_EQ(rate.error(), "why");
  // Unclassified errors keep working as before.
  const Status plain = MakeError("plain");
  EXPECT_EQ(plain.code(), ErrorCode::kUnknown);
  EXPECT_TRUE(plain.Is(ErrorCode::kUnknown));
  // Context keeps the code.
  const Status ctx = Fails(ErrorCode::kTimeout).WithContext("connect NFO: ");
  EXPECT_EQ(ctx.error(), "connect NFO: why");
  EXPECT_TRUE(ctx.Is(ErrorCode::kTimeout));
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(Result, CarriesTheErrorCode) {
  Result<int> ok = 3;
  EXPECT_EQ(ok.code(), ErrorCode::kUnknown);
  Result<int> bad = MakeError(ErrorCode::kAmbiguous, "send outcome unknown");
  EXPECT_EQ(bad.code(), ErrorCode::kAmbiguous);
  const Status s = std::move(bad).take_error();
  EXPECT_TRUE(s.Is(ErrorCode::kAmbiguous));
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kToken), "token");
}

}  // namespace
}  // namespace nacre
