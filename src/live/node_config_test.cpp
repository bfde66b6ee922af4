// The node config loader: the shared sections read as in a backtest, the node's own sections
// checked before anything runs, every refusal naming the file, line and key.
#include "live/node_config.h"

#include <gtest/gtest.h>

#include "common/config.h"
#include "apps/examples/sma_cross.h"

namespace nacre {
namespace {

const char* kBase = R"(
[node]
state_dir = "state"
start = "2025-03-03T09:00"
speed = 60
%NODE%
[engine]
log_level = "OFF"
%ENGINE%
[[exec_clients]]
client = "sandbox"
name = "NFO"
starting_balance = "100000.00"
%EXEC%
[[data_clients]]
client = "replay"
catalog = "nowhere"
)";

std::string Config(const std::string& node, const std::string& engine = "",
                   const std::string& exec = "") {
  std::string s = kBase;
  s.replace(s.find("%NODE%"), 6, node);
  s.replace(s.find("%ENGINE%"), 8, engine);
  s.replace(s.find("%EXEC%"), 6, exec);
  return s;
}

std::string ErrorOf(const std::string& text) {
  ComponentRegistry registry;
  RegisterExampleComponents(registry);
  try {
    (void)LoadNodeConfigString(text, "node.toml", "/nonexistent", registry, nullptr);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(NodeConfig, RefusesWhatItCannotRunNamingTheKey) {
  const std::string live = ErrorOf(Config("environment = \"live\""));
  EXPECT_NE(live.find("node.toml:"), std::string::npos) << live;
  EXPECT_NE(live.find("environment"), std::string::npos) << live;
  // No adapter registered in this test binary (the CLI registers the Zerodha one).
  EXPECT_NE(live.find("needs a broker adapter"), std::string::npos) << live;
  const std::string range = ErrorOf(Config("", "start = \"2025-01-01\""));
  EXPECT_NE(range.find("engine.start"), std::string::npos) << range;
  EXPECT_NE(range.find("[node] start"), std::string::npos) << range;
  std::string scaled0 = Config("clock = \"scaled\"");
  scaled0.replace(scaled0.find("speed = 60"), 10, "speed = 0");
  const std::string speed = ErrorOf(scaled0);
  EXPECT_NE(speed.find("speed"), std::string::npos) << speed;
  EXPECT_NE(speed.find("\"replay\" only"), std::string::npos) << speed;
  const std::string end = ErrorOf(Config("end = \"2025-03-01\""));
  EXPECT_NE(end.find("must be after start"), std::string::npos) << end;
  const std::string unknown = ErrorOf(Config("sped = 3"));
  EXPECT_NE(unknown.find("sped"), std::string::npos) << unknown;
  const std::string bad_venue = ErrorOf(Config("", "", "latency_submit_ms = -1"));
  EXPECT_NE(bad_venue.find("latency_submit_ms"), std::string::npos) << bad_venue;
  const std::string no_catalog = ErrorOf(Config(""));
  EXPECT_NE(no_catalog.find("is not a catalog"), std::string::npos) << no_catalog;
  EXPECT_NE(no_catalog.find("data_clients"), std::string::npos) << no_catalog;
  const std::string timeout = ErrorOf(Config("[node.timeouts]\nconnect_secs = 0"));
  EXPECT_NE(timeout.find("connect_secs"), std::string::npos) << timeout;
  EXPECT_NE(timeout.find("node.toml:"), std::string::npos) << timeout;
  const std::string timeout_key = ErrorOf(Config("[node.timeouts]\nreconnect_secs = 5"));
  EXPECT_NE(timeout_key.find("reconnect_secs"), std::string::npos) << timeout_key;
  const std::string on_stop = ErrorOf(Config("on_stop = \"sell\""));
  EXPECT_NE(on_stop.find("flatten"), std::string::npos) << on_stop;
  std::string real = Config("clock = \"real\"");
  const std::string real_start = ErrorOf(real);
  EXPECT_NE(real_start.find("only with clock = \"replay\" or \"scaled\""), std::string::npos)
      << real_start;
}

}  // namespace
}  // namespace nacre
