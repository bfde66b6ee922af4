// A one-line progress bar with rate and ETA for long commands, drawn on stderr only when it
// is a terminal (quiet when piped or redirected). Wall-clock based: never used for results.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace nacre::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string_view unit = "events")
      : unit_(unit), enabled_(isatty(STDERR_FILENO) == 1), t0_(std::chrono::steady_clock::now()) {}
  bool enabled() const { return enabled_; }
  void Update(std::uint64_t done, std::uint64_t total) {
    if (total == 0) return;
    Update(done, static_cast<double>(done) / static_cast<double>(total), done == total);
  }
  // `fraction` of the work done (from a count or from simulated time); < 0 when unknown: then
  // the count and rate only, without a bar or ETA.
  void Update(std::uint64_t done, double fraction, bool finished) {
    if (!enabled_) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    if (fraction < 0) {
      fmt::print(stderr, "\r{} {} {:.0f} {}/s ", done, unit_, rate, unit_);
    } else {
      const double f = std::min(fraction, 1.0);
      const double eta = f > 0 ? secs * (1.0 - f) / f : 0;
      const int width = 30;
      const auto filled = static_cast<int>(width * f);
      fmt::print(stderr, "\r[{}{}] {:5.1f}% {:.0f} {}/s ETA {:.0f}s ",
                 std::string(static_cast<std::size_t>(filled), '#'),
                 std::string(static_cast<std::size_t>(width - filled), ' '), 100.0 * f, rate,
                 unit_, eta);
    }
    if (finished) fmt::print(stderr, "\n");
  }

 private:
  std::string unit_;
  bool enabled_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace nacre::cli
