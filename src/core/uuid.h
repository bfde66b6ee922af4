// UUID4 values and a seeded generator. Backtests seed it so event ids are identical run to
// run; live nodes seed it from the OS. Not thread-safe: one generator per kernel.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>

namespace nacre {

struct Uuid4 {
  std::array<std::uint8_t, 16> bytes{};
  auto operator<=>(const Uuid4&) const = default;
  std::string ToString() const;
};

class UuidGenerator {
 public:
  explicit UuidGenerator(std::uint64_t seed) : rng_(seed) {}
  Uuid4 Next();

 private:
  std::mt19937_64 rng_;
};

}  // namespace nacre
