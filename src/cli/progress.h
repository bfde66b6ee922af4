// A one-line progress bar with rate and ETA for long commands, drawn on stderr only when it
// is a terminal (quiet when piped or redirected). Wall-clock based: never used for results.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

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
    if (!enabled_ || total == 0) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const int width = 30;
    const auto filled = static_cast<int>(width * done / total);
    fmt::print(stderr, "\r[{}{}] {:5.1f}% {:.0f} {}/s ETA {:.0f}s ",
               std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(width - filled), ' '),
               100.0 * static_cast<double>(done) / static_cast<double>(total), rate, unit_, eta);
    if (done == total) fmt::print(stderr, "\n");
  }

 private:
  std::string unit_;
  bool enabled_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace nacre::cli
