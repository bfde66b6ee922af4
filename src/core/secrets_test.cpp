#include "core/secrets.h"

#include <gtest/gtest.h>

namespace nacre {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override { ClearSecretsForTest(); }
  void TearDown() override { ClearSecretsForTest(); }
};

TEST_F(SecretsTest, RegisteredValuesAreReplacedWherever_TheyAppear) {
  RegisterSecret("s3cr3t-api");
  EXPECT_EQ(Redact("secret is s3cr3t-api, twice: s3cr3t-apis3cr3t-api"),
            "secret is ***, twice: ******");
  EXPECT_TRUE(ContainsSecret("x s3cr3t-api y"));
  EXPECT_FALSE(ContainsSecret("nothing here"));
}

TEST_F(SecretsTest, ShortValuesAreNotRegistered) {
  RegisterSecret("abc");
  EXPECT_EQ(Redact("abcdef abc"), "abcdef abc");
}

TEST_F(SecretsTest, SecretNamedParametersAreRedactedEvenWhenUnregistered) {
  EXPECT_EQ(Redact("GET /?api_key=k&access_token=tok123&uid=1"), "GET /?api_key=k&access_token=***&uid=1");
  EXPECT_EQ(Redact("request_token=abcdef&checksum=0f0f"), "request_token=***&checksum=***");
  EXPECT_EQ(Redact(R"({"access_token":"tok123","user_id":"AB1234"})"),
            R"({"access_token":"***","user_id":"AB1234"})");
  EXPECT_EQ(Redact(R"({"refresh_token": "rt99", "x": 1})"), R"({"refresh_token": "***", "x": 1})");
  EXPECT_EQ(Redact("Authorization: token mykey:tok123"), "Authorization: token mykey:***");
  // Already redacted text stays as it is.
  EXPECT_EQ(Redact("access_token=***"), "access_token=***");
}

TEST_F(SecretsTest, ALongerSecretHoldingAShorterOneIsRedactedWhole) {
  RegisterSecret("abcdef");
  RegisterSecret("xxabcdefyy");
  EXPECT_EQ(Redact("[xxabcdefyy] [abcdef]"), "[***] [***]");
}

}  // namespace
}  // namespace nacre
