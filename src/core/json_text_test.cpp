#include "core/json_text.h"

#include <gtest/gtest.h>

namespace nacre {
namespace {

TEST(JsonText, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape("l1\nl2\r\t"), "l1\\nl2\\r\\t");
  EXPECT_EQ(JsonEscape(std::string("x\x01y", 3)), "x\\u0001y");
  EXPECT_EQ(JsonEscape("₹4,00,000"), "₹4,00,000");  // UTF-8 passes through
}

TEST(JsonText, HtmlSafeTextCannotCloseAScriptElement) {
  EXPECT_EQ(JsonEscape("</script>&"), "</script>&");
  EXPECT_EQ(JsonString("</script>&", true), "\"\\u003c/script\\u003e\\u0026\"");
}

}  // namespace
}  // namespace nacre
