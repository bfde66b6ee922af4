#include "model/account.h"

#include <fmt/format.h>

namespace nacre {

Account::Account(AccountId id, AccountType type, Money starting_balance, UnixNanos /*ts*/,
                 AccountingMode mode)
    : id_(std::move(id)),
      type_(type),
      mode_(mode),
      currency_(starting_balance.currency()),
      starting_(starting_balance),
      total_(starting_balance),
      locked_(Money::Zero(starting_balance.currency())) {}

void Account::AdjustBalance(const Money& delta) { total_ += delta; }

void Account::SetMargin(const InstrumentId& instrument, const Money& initial,
                        const Money& maintenance) {
  if (initial.is_zero() && maintenance.is_zero()) {
    margins_.erase(instrument);
  } else {
    margins_[instrument] = MarginBalance{instrument, initial, maintenance};
  }
  RecomputeLocked();
}

void Account::RecomputeLocked() {
  Money locked = Money::Zero(currency_);
  for (const auto& [id, m] : margins_) locked += m.initial + m.maintenance;
  locked_ = locked;
}

Status Account::ApplyState(const AccountState& s) {
  if (s.account_id != id_) {
    return MakeError(
        fmt::format("account state for {} applied to {}", s.account_id.value(), id_.value()));
  }
  if (!(s.base_currency == currency_)) {
    return MakeError(fmt::format("account state currency {} differs from {}",
                                 s.base_currency.Code(), currency_.Code()));
  }
  if (mode_ == AccountingMode::kReported) total_ = s.balance.total;
  margins_.clear();
  for (const MarginBalance& m : s.margins) margins_[m.instrument_id] = m;
  RecomputeLocked();
  if (!(locked_ == s.balance.locked)) locked_ = s.balance.locked;  // venue's figure wins
  states_.push_back(s);
  return Status::Ok();
}

AccountState Account::Snapshot(const Uuid4& event_id, UnixNanos ts, bool reported) const {
  AccountState s;
  s.account_id = id_;
  s.account_type = type_;
  s.base_currency = currency_;
  s.balance = AccountBalance{total_, locked_, balance_free()};
  for (const auto& [id, m] : margins_) s.margins.push_back(m);
  s.reported = reported;
  s.event_id = event_id;
  s.ts_event = ts;
  s.ts_init = ts;
  return s;
}

}  // namespace nacre
