// `nacre options price | iv | chain` as a user runs them: results agree with the pricing
// library, bad input exits 2 naming the flag or file line at fault.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli_exec.h"
#include "pricing/black.h"

namespace {

using nacre::testing::Exec;

double ValueAfter(const std::string& out, const std::string& label) {
  const auto at = out.find(label);
  if (at == std::string::npos) return std::nan("");
  return std::stod(out.substr(at + label.size()));
}

TEST(OptionsCli, PriceMatchesLibraryAndIvInvertsIt) {
  const auto price = Exec("options price -t put -k 24000 -f 24100 -d 7 -v 14 -r 6.5");
  ASSERT_EQ(price.exit_code, 0) << price.out;
  const double expected =
      nacre::pricing::Black76Price(nacre::OptionKind::kPut, 24100, 24000, 7.0 / 365, 0.14, 0.065);
  EXPECT_NEAR(ValueAfter(price.out, "price"), expected, 1e-4);
  const auto iv =
      Exec(fmt::format("options iv -t put -k 24000 -f 24100 -d 7 -r 6.5 -p {:.10f}", expected));
  ASSERT_EQ(iv.exit_code, 0) << iv.out;
  EXPECT_NEAR(ValueAfter(iv.out, "implied vol"), 14.0, 1e-6);
}

TEST(OptionsCli, BadInputExitsTwoWithReason) {
  auto below = Exec("options iv -t call -k 23000 -f 24100 -d 7 -p 500", true);
  EXPECT_EQ(below.exit_code, 2);
  EXPECT_NE(below.out.find("intrinsic"), std::string::npos) << below.out;
  auto both = Exec("options price -t call -k 24000 -f 24100 -s 24000 -d 7 -v 14", true);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("exactly one of --forward"), std::string::npos) << both.out;
  auto type = Exec("options price -t straddle -k 24000 -f 24100 -d 7 -v 14", true);
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_NE(type.out.find("--type"), std::string::npos) << type.out;
}

TEST(OptionsCli, ChainFromQuotesFileImpliesForwardAndFlagsBadRows) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_options_cli";
  std::filesystem::create_directories(dir);
  const double f = 24020, t = 5.0 / 365, r = 0.065;
  {
    std::ofstream csv(dir / "chain.csv");
    csv << "strike,call_bid,call_ask,put_bid,put_ask\n";
    for (int k = 23800; k <= 24200; k += 50) {
      const double c = nacre::pricing::Black76Price(nacre::OptionKind::kCall, f, k, t, 0.12, r);
      const double p = nacre::pricing::Black76Price(nacre::OptionKind::kPut, f, k, t, 0.12, r);
      csv << fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f}\n", k, c, c, p, p);
    }
  }
  const auto ok = Exec("options chain -d 5 -r 6.5 --quotes " + (dir / "chain.csv").string());
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NEAR(ValueAfter(ok.out, "forward"), f, 0.01);
  EXPECT_NEAR(ValueAfter(ok.out, "ATM"), 24000, 1e-9);
  EXPECT_NEAR(ValueAfter(ok.out, "ATM IV"), 12.0, 0.01);
  {
    std::ofstream bad(dir / "bad.csv");
    bad << "strike,call_bid,call_ask,put_bid,put_ask\n24000,1,2,3,4\n24050,1,x,3,4\n";
  }
  const auto err = Exec("options chain -d 5 --quotes " + (dir / "bad.csv").string(), true);
  EXPECT_EQ(err.exit_code, 2);
  EXPECT_NE(err.out.find("bad.csv:3: column call_ask is not a number"), std::string::npos)
      << err.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
