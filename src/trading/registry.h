// ComponentRegistry: creates strategies and actors by type name from config, so a TOML file
// can name "SmaCross" with its parameters. The application owns one registry and fills it
// at start (RegisterExampleComponents, RegisterSpreadComponents); there is no global
// registry. Each type is registered with its parameter schema (common/params.h): Create*
// checks the config table against it (unknown keys, types, ranges, choices) before the
// factory runs, the factory reads its values through the checked Params (defaults from the
// schema), and `nacre components` / docs/config.md print the same schema.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/params.h"
#include "trading/strategy.h"

namespace nacre {

class ComponentRegistry {
 public:
  using StrategyFactory =
      std::function<std::unique_ptr<Strategy>(const StrategyId& id, const Params& params)>;
  using ActorFactory =
      std::function<std::unique_ptr<Actor>(const std::string& id, const Params& params)>;

  // The schema's name is set to `type`.
  void RegisterStrategy(const std::string& type, ParamSchema schema, StrategyFactory factory);
  void RegisterActor(const std::string& type, ParamSchema schema, ActorFactory factory);

  // Throws ConfigError naming the config location when the type is unknown.
  std::unique_ptr<Strategy> CreateStrategy(const std::string& type, const StrategyId& id,
                                           const ConfigTable& params) const;
  std::unique_ptr<Actor> CreateActor(const std::string& type, const std::string& id,
                                     const ConfigTable& params) const;
  // Registered type names, sorted.
  std::vector<std::string> StrategyTypes() const;
  std::vector<std::string> ActorTypes() const;
  // The schema of a registered type, or nullptr.
  const ParamSchema* StrategySchema(const std::string& type) const;
  const ParamSchema* ActorSchema(const std::string& type) const;

 private:
  template <typename Factory>
  struct Entry {
    ParamSchema schema;
    Factory factory;
  };
  std::map<std::string, Entry<StrategyFactory>> strategies_;
  std::map<std::string, Entry<ActorFactory>> actors_;
};

}  // namespace nacre
