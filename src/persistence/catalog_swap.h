// Internal to the catalog: the final swap of `CompactCatalog` (staged chain files moved into
// place, then the per-instrument files they replace removed), made safe against a crash.
//
// Before the first move an intent marker {root}/.compact-swap is written (through a temporary
// file, fsync'd, renamed, the folder fsync'd) listing every move and removal, paths relative
// to the root. The swap then moves (fsyncing the folders), removes, and deletes the marker
// last. A marker found later means a crash in between: `RecoverCompactSwap` (run by
// Catalog::Open and CompactCatalog) completes the swap when every chain file is in its staging
// or final place, else rolls it back when every per-instrument file is still there (removing
// the chain files it had moved in), else fails naming the missing files. Either way the
// catalog never holds a quote in both layouts nor loses one.
//
// The swap holds an exclusive flock on the marker while it runs; recovery takes the same lock
// first, so a process that opens the catalog during another's swap waits for it instead of
// racing it (a crashed process's lock is released by the kernel).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace nacre {

struct CompactSwap {
  std::vector<std::pair<std::string, std::string>> moves;  // staged -> final, relative to root
  std::vector<std::string> removes;                        // per-instrument files, relative
};

// {root}/.compact-swap
std::string CompactSwapMarker(const std::string& root);
// {root}/.compact: where a compact writes its chain files before the swap (removed after it).
std::string CompactStagingDir(const std::string& root);

// Writes the marker, then performs the swap's steps (moves, then removals) and deletes the
// marker. `steps` stops after that many steps, leaving the marker, as a crash would (tests).
Status RunCompactSwap(const std::string& root, const CompactSwap& swap,
                      std::size_t steps = std::numeric_limits<std::size_t>::max());

// Completes or rolls back a swap a crash interrupted; returns one line per thing done (none
// when there is no marker).
Result<std::vector<std::string>> RecoverCompactSwap(const std::string& root);

}  // namespace nacre
