#include "trading/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nacre {

void ComponentRegistry::RegisterStrategy(const std::string& type, StrategyFactory factory) {
  strategies_[type] = std::move(factory);
}

void ComponentRegistry::RegisterActor(const std::string& type, ActorFactory factory) {
  actors_[type] = std::move(factory);
}

std::unique_ptr<Strategy> ComponentRegistry::CreateStrategy(const std::string& type,
                                                            const StrategyId& id,
                                                            const ConfigTable& params) const {
  auto it = strategies_.find(type);
  if (it == strategies_.end()) {
    throw ConfigError(fmt::format("{}: unknown strategy type '{}' (known: {})", params.Where(),
                                  type, fmt::join(StrategyTypes(), ", ")));
  }
  auto s = it->second(id, params);
  params.Finish();
  return s;
}

std::unique_ptr<Actor> ComponentRegistry::CreateActor(const std::string& type,
                                                      const std::string& id,
                                                      const ConfigTable& params) const {
  auto it = actors_.find(type);
  if (it == actors_.end()) {
    throw ConfigError(fmt::format("{}: unknown actor type '{}' (known: {})", params.Where(), type,
                                  fmt::join(ActorTypes(), ", ")));
  }
  auto a = it->second(id, params);
  params.Finish();
  return a;
}

std::vector<std::string> ComponentRegistry::StrategyTypes() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : strategies_) out.push_back(k);
  return out;
}

std::vector<std::string> ComponentRegistry::ActorTypes() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : actors_) out.push_back(k);
  return out;
}

}  // namespace nacre
