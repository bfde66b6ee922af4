#include "trading/trader.h"

#include <fmt/format.h>

namespace nacre {

bool Trader::IdTaken(const std::string& id) const {
  for (const auto& a : actors_) {
    if (a->component_id() == id) return true;
  }
  for (const auto& s : strategies_) {
    if (s->component_id() == id) return true;
  }
  return false;
}

Status Trader::AddActor(std::unique_ptr<Actor> actor) {
  if (IdTaken(actor->component_id())) {
    return MakeError(fmt::format("duplicate component id '{}'", actor->component_id()));
  }
  actor->Register(context_);
  actors_.push_back(std::move(actor));
  return Status::Ok();
}

Status Trader::AddStrategy(std::unique_ptr<Strategy> strategy) {
  if (IdTaken(strategy->component_id())) {
    return MakeError(fmt::format("duplicate component id '{}'", strategy->component_id()));
  }
  // Client order ids carry the strategy tag (text after the last '-'): two strategies with one
  // tag would issue the same ids.
  const std::string tag = OrderFactory::TagOf(strategy->strategy_id().value());
  for (const auto& s : strategies_) {
    if (OrderFactory::TagOf(s->strategy_id().value()) == tag) {
      return MakeError(fmt::format("strategy {} has the order id tag '{}' already used by {}",
                                   strategy->strategy_id().value(), tag, s->strategy_id().value()));
    }
  }
  strategy->RegisterStrategy(context_, portfolio_);
  strategies_.push_back(std::move(strategy));
  return Status::Ok();
}

Status Trader::CheckRequirements() const {
  for (const auto& a : actors_) {
    if (Status st = a->CheckRequirements(); !st) return st;
  }
  for (const auto& s : strategies_) {
    if (Status st = s->CheckRequirements(); !st) return st;
  }
  return Status::Ok();
}

void Trader::StartAll() {
  // Actors first: strategies may depend on them (e.g. a capital manager).
  for (auto& a : actors_) {
    if (a->state() == ComponentState::kReady)
      a->Start();
    else if (a->state() == ComponentState::kStopped)
      a->Resume();
  }
  for (auto& s : strategies_) {
    if (s->state() == ComponentState::kReady) {
      s->Start();
      if (s->is_running()) s->ResumeLoadedSpreads();
    } else if (s->state() == ComponentState::kStopped) {
      if (s->Resume()) s->RearmSpreads();
    }
  }
}

void Trader::StopAll() {
  for (auto& s : strategies_) {
    if (s->is_running()) s->Stop();
    s->CancelAllTimers();
  }
  for (auto& a : actors_) {
    if (a->is_running()) a->Stop();
    a->CancelAllTimers();
  }
}

void Trader::ResetAll() {
  for (auto& s : strategies_) {
    s->Reset();
    s->ResetOrderIds();
  }
  for (auto& a : actors_) a->Reset();
}

void Trader::DisposeAll() {
  for (auto& s : strategies_) s->Dispose();
  for (auto& a : actors_) a->Dispose();
}

std::map<std::string, SavedState> Trader::SaveAll() {
  std::map<std::string, SavedState> out;
  for (auto& a : actors_) out[a->component_id()] = a->Save();
  for (auto& s : strategies_) {
    out[s->component_id()] = s->Save();
    // The strategy's spread books, beside its own state (never inside it: a strategy's
    // keys are its own).
    if (std::string book = s->SaveSpreadBook(); !book.empty()) {
      out[s->component_id() + kSpreadBookSuffix] = {{"book", std::move(book)}};
    }
  }
  return out;
}

Status Trader::LoadAll(const std::map<std::string, SavedState>& states) {
  Status result = Status::Ok();
  for (auto& a : actors_) {
    auto it = states.find(a->component_id());
    if (it != states.end()) a->Load(it->second);
  }
  for (auto& s : strategies_) {
    // The books first: the strategy's own state may refer to its spreads.
    if (auto b = states.find(s->component_id() + kSpreadBookSuffix); b != states.end()) {
      auto book = b->second.find("book");
      if (book != b->second.end()) {
        if (Status st = s->LoadSpreadBook(book->second); !st && result.ok()) {
          result = MakeError(st.code(), fmt::format("{}: spread books not loaded: {}",
                                                    s->component_id(), st.error()));
        }
      }
    }
    auto it = states.find(s->component_id());
    if (it != states.end()) s->Load(it->second);
  }
  return result;
}

Strategy* Trader::strategy(const StrategyId& id) {
  for (auto& s : strategies_) {
    if (s->strategy_id() == id) return s.get();
  }
  return nullptr;
}

Actor* Trader::actor(const std::string& id) {
  for (auto& a : actors_) {
    if (a->component_id() == id) return a.get();
  }
  return nullptr;
}

}  // namespace nacre
