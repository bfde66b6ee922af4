#include <gtest/gtest.h>

#include "testkit/testkit.h"

namespace nacre {
namespace {

TEST(PriceSmoke, ParsesAndFormats) {
  auto p = Price::Parse("21727.75");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->precision(), 2);
  EXPECT_EQ(p->ToString(), "21727.75");
}

}  // namespace
}  // namespace nacre
