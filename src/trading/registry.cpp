#include "trading/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nacre {

void ComponentRegistry::RegisterStrategy(const std::string& type, ParamSchema schema,
                                         StrategyFactory factory) {
  schema.name = type;
  strategies_[type] = Entry<StrategyFactory>{std::move(schema), std::move(factory)};
}

void ComponentRegistry::RegisterActor(const std::string& type, ParamSchema schema,
                                      ActorFactory factory) {
  schema.name = type;
  actors_[type] = Entry<ActorFactory>{std::move(schema), std::move(factory)};
}

const ParamSchema* ComponentRegistry::StrategySchema(const std::string& type) const {
  auto it = strategies_.find(type);
  return it == strategies_.end() ? nullptr : &it->second.schema;
}

const ParamSchema* ComponentRegistry::ActorSchema(const std::string& type) const {
  auto it = actors_.find(type);
  return it == actors_.end() ? nullptr : &it->second.schema;
}

std::unique_ptr<Strategy> ComponentRegistry::CreateStrategy(const std::string& type,
                                                            const StrategyId& id,
                                                            const ConfigTable& params) const {
  auto it = strategies_.find(type);
  if (it == strategies_.end()) {
    throw ConfigError(fmt::format("{}: unknown strategy type '{}' (known: {})", params.Where(),
                                  type, fmt::join(StrategyTypes(), ", ")));
  }
  const Params checked(params, it->second.schema);
  auto s = it->second.factory(id, checked);
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
  const Params checked(params, it->second.schema);
  auto a = it->second.factory(id, checked);
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
