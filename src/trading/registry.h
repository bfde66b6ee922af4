// ComponentRegistry: creates strategies and actors by type name from config, so a TOML file
// can name "SmaCross" with its parameters. The application owns one registry and fills it
// at start (RegisterBuiltins); there is no global registry. Factories read their parameters
// from a ConfigTable and must consume every key (unknown keys are reported by the caller).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "trading/strategy.h"

namespace nacre {

class ComponentRegistry {
 public:
  using StrategyFactory =
      std::function<std::unique_ptr<Strategy>(const StrategyId& id, const ConfigTable& params)>;
  using ActorFactory =
      std::function<std::unique_ptr<Actor>(const std::string& id, const ConfigTable& params)>;

  void RegisterStrategy(const std::string& type, StrategyFactory factory);
  void RegisterActor(const std::string& type, ActorFactory factory);

  // Throws ConfigError naming the config location when the type is unknown.
  std::unique_ptr<Strategy> CreateStrategy(const std::string& type, const StrategyId& id,
                                           const ConfigTable& params) const;
  std::unique_ptr<Actor> CreateActor(const std::string& type, const std::string& id,
                                     const ConfigTable& params) const;
  std::vector<std::string> StrategyTypes() const;
  std::vector<std::string> ActorTypes() const;

 private:
  std::map<std::string, StrategyFactory> strategies_;
  std::map<std::string, ActorFactory> actors_;
};

}  // namespace nacre
