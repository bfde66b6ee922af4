// ResultFiles: implemented by actors and strategies that contribute their own files to a
// backtest's result folder (the CapitalManager's capital_history.csv, the SpreadMonitor's
// spreads.csv). The runner calls WriteResultFiles(dir) after the engine's own files, for every
// component that implements it, in registration order. Errors name the file.
#pragma once

#include <string>

#include "core/result.h"

namespace nacre {

class ResultFiles {
 public:
  virtual ~ResultFiles() = default;
  virtual Status WriteResultFiles(const std::string& dir) const = 0;
};

}  // namespace nacre
