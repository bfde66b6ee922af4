// What this build is. `nacre --version` prints VersionLine(): "nacre 0.1.0 (build 1a2b...)",
// the build id being the first 16 hex digits of the SHA-256 of the running binary, so every
// machine running the same binary prints the same line and any rebuild that changes the code
// changes it. Dask sweeps key their points by it and check it on every worker
// (cli/sweep_dask.cpp).
#pragma once

#include <string>

namespace nacre::cli {

// Absolute path of the running binary (/proc/self/exe), or "nacre" when unknown.
std::string SelfPath();
std::string BuildId();
std::string VersionLine();

}  // namespace nacre::cli
