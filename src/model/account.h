// Account: an INR margin (or cash) account. Balance total, locked (margin blocked for open
// orders and positions) and free = total - locked. Changes arrive as AccountState events
// (from the venue or from the portfolio's own accounting) and every state is kept for
// reports. Single-threaded (kernel thread).
#pragma once

#include <map>
#include <vector>

#include "model/events.h"

namespace nacre {

struct AccountBalance {
  Money total;
  Money locked;
  Money free;
};

struct MarginBalance {
  InstrumentId instrument_id;
  Money initial;      // blocked for working orders
  Money maintenance;  // blocked for open positions
};

struct AccountState {
  AccountId account_id;
  AccountType account_type = AccountType::kMargin;
  Currency base_currency = Currency::INR();
  AccountBalance balance;
  std::vector<MarginBalance> margins;  // sorted by instrument id
  bool reported = false;               // true when the venue reported it
  Uuid4 event_id;
  UnixNanos ts_event;
  UnixNanos ts_init;
};

// How an account's balance is known, never both: kCalculated, the portfolio books every fill
// (premium, charges, settlement) and a venue's AccountState may only bring its margin figures;
// kReported, the venue (Kite's /user/margins) reports the whole state and the portfolio books
// nothing.
enum class AccountingMode : std::uint8_t { kCalculated, kReported };

class Account {
 public:
  Account(AccountId id, AccountType type, Money starting_balance, UnixNanos ts,
          AccountingMode mode = AccountingMode::kCalculated);
  AccountingMode mode() const { return mode_; }

  const AccountId& id() const { return id_; }
  AccountType type() const { return type_; }
  const Currency& currency() const { return currency_; }
  Money balance_total() const { return total_; }
  Money balance_locked() const { return locked_; }
  Money balance_free() const { return total_ - locked_; }
  Money starting_balance() const { return starting_; }
  const std::map<InstrumentId, MarginBalance>& margins() const { return margins_; }
  const std::vector<AccountState>& states() const { return states_; }

  // Moves the balance by a signed amount (P&L, premium, charges, settlement).
  void AdjustBalance(const Money& delta);
  // Sets the margin blocked for an instrument; zero margins remove the entry.
  void SetMargin(const InstrumentId& instrument, const Money& initial, const Money& maintenance);
  // A venue-reported state: a reported account takes all of it; a calculated one takes only
  // the margins (and the locked total they make), keeping the balance it booked.
  Status ApplyState(const AccountState& state);
  // The current state as an event (appended to states() by the caller via Record).
  AccountState Snapshot(const Uuid4& event_id, UnixNanos ts, bool reported) const;
  void Record(const AccountState& state) { states_.push_back(state); }

 private:
  void RecomputeLocked();

  AccountId id_;
  AccountType type_;
  AccountingMode mode_ = AccountingMode::kCalculated;
  Currency currency_;
  Money starting_;
  Money total_;
  Money locked_;
  std::map<InstrumentId, MarginBalance> margins_;
  std::vector<AccountState> states_;
};

}  // namespace nacre
