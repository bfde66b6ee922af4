// Trader: owns the actors and strategies of one kernel, registers them with the kernel's
// facilities, and runs their lifecycle together (in the order they were added). Kernel
// thread only.
#pragma once

#include <memory>
#include <vector>

#include "trading/strategy.h"

namespace nacre {

// SaveAll's key of a strategy's spread books: "{component id}#spreads".
inline constexpr const char* kSpreadBookSuffix = "#spreads";

class Trader {
 public:
  Trader(const ActorContext& context, const Portfolio& portfolio)
      : context_(context), portfolio_(portfolio) {}

  Status AddActor(std::unique_ptr<Actor> actor);
  Status AddStrategy(std::unique_ptr<Strategy> strategy);

  void StartAll();
  // Every actor's and strategy's CheckRequirements, in order; the first failure.
  Status CheckRequirements() const;
  // Stops strategies, then actors, and cancels their timers. Open orders stay working (a
  // strategy that wants them canceled does so in its OnStop).
  void StopAll();
  void ResetAll();
  void DisposeAll();

  std::map<std::string, SavedState> SaveAll();
  // Loads what SaveAll saved (components absent from `states` keep their state); a spread
  // book that cannot be rebuilt is the error (the other components still load).
  Status LoadAll(const std::map<std::string, SavedState>& states);

  const std::vector<std::unique_ptr<Actor>>& actors() const { return actors_; }
  const std::vector<std::unique_ptr<Strategy>>& strategies() const { return strategies_; }
  Strategy* strategy(const StrategyId& id);
  Actor* actor(const std::string& id);
  // Type-safe lookup by id, e.g. for a strategy to reach a shared actor.
  template <typename T>
  T* Find(const std::string& id) {
    if (Actor* a = actor(id)) return dynamic_cast<T*>(a);
    if (Strategy* s = strategy(StrategyId(id))) return dynamic_cast<T*>(s);
    return nullptr;
  }

 private:
  bool IdTaken(const std::string& id) const;

  ActorContext context_;
  const Portfolio& portfolio_;
  std::vector<std::unique_ptr<Actor>> actors_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
};

}  // namespace nacre
