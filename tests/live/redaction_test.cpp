// Secrets never reach a log line: the logger redacts whatever a component hands it.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "common/clock.h"
#include "common/logger.h"
#include "core/secrets.h"

namespace nacre {
namespace {

std::string LogOnce(const std::string& message) {
  TestClock clock;
  std::FILE* f = std::tmpfile();
  Logger logger(clock, f);
  logger.Log(LogLevel::kError, "Kite", message);
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  std::fclose(f);
  return out;
}

TEST(Redaction, TheLoggerNeverPrintsASecret) {
  ClearSecretsForTest();
  RegisterSecret("the-api-secret-1");
  const std::string line =
      LogOnce("POST /session/token api_key=k&request_token=rq77&checksum=abc; secret "
              "the-api-secret-1; GET ws://h/?api_key=k&access_token=tok9");
  EXPECT_EQ(line.find("the-api-secret-1"), std::string::npos) << line;
  EXPECT_EQ(line.find("rq77"), std::string::npos) << line;
  EXPECT_EQ(line.find("tok9"), std::string::npos) << line;
  EXPECT_NE(line.find("api_key=k"), std::string::npos) << line;  // the key is not a secret
  ClearSecretsForTest();
}

}  // namespace
}  // namespace nacre
