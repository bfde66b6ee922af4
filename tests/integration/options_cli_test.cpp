// `nacre options price | iv | chain` as a user runs them: results agree with the pricing
// library, bad input exits 2 naming the flag or file line at fault.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
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
  EXPECT_NE(err.out.find("bad.csv:3: column 3 (call_ask): 'x' is not a number"), std::string::npos)
      << err.out;
  std::filesystem::remove_all(dir);
}

// A clean chain file priced by Black-76 at 12% (forward 24,020, 5 days), strikes 23,800 to
// 24,200 on lines 2..10, and `extra` appended as line 11.
std::string WriteChain(const std::filesystem::path& path, const std::string& extra) {
  const double f = 24020, t = 5.0 / 365, r = 0.065;
  std::ofstream csv(path);
  csv << "strike,call_bid,call_ask,put_bid,put_ask\n";
  for (int k = 23800; k <= 24200; k += 50) {
    const double c = nacre::pricing::Black76Price(nacre::OptionKind::kCall, f, k, t, 0.12, r);
    const double p = nacre::pricing::Black76Price(nacre::OptionKind::kPut, f, k, t, 0.12, r);
    csv << fmt::format("{},{:.2f},{:.2f},{:.2f},{:.2f}\n", k, c - 0.5, c + 0.5,
                       std::max(0.05, p - 0.5), p + 0.5);
  }
  csv << extra << "\n";
  return path.string();
}

TEST(OptionsCli, ChainQuotesRefuseEveryKindOfBadRowWithLineAndColumn) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_options_cli_rows";
  std::filesystem::create_directories(dir);
  const auto good = Exec("options chain -d 5 --quotes " + WriteChain(dir / "good.csv", ""));
  ASSERT_EQ(good.exit_code, 0) << good.out;
  struct Case {
    const char* row;
    const char* expect;
  };
  const Case cases[] = {
      {"24250,-5,6,240,241", ":11: column 2 (call_bid): negative price -5"},
      {"24250,nan,6,240,241", ":11: column 2 (call_bid): 'nan' is not a finite number"},
      {"24250,5,inf,240,241", ":11: column 3 (call_ask): 'inf' is not a finite number"},
      {"24250,5,1e999,240,241", ":11: column 3 (call_ask): '1e999' is out of range"},
      {"24250,0,6,240,241", ":11: column 2 (call_bid): zero price"},
      {"0,5,6,240,241", ":11: column 1 (strike): strike must be a positive number"},
      {"24250,7,6,240,241", ":11: column 3 (call_ask): call ask 6 below bid 7 (crossed)"},
      {"24250,5,6,240,25000", ":11: column 5 (put_ask): put price 25000 above the strike 24250"},
      {"24250,5,13000,240,241", ":11: column 3 (call_ask): call price 13000 has a time value"},
      {"24250,5,six,240,241", ":11: column 3 (call_ask): 'six' is not a number"},
      {"24000,5,6,240,241", ":11: column 1 (strike): strike 24000 appears twice (first on line 6)"},
      {"24250,5,6,240", ":11: expected 5 columns"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string name = fmt::format("bad{}.csv", i++);
    const auto r = Exec("options chain -d 5 --quotes " + WriteChain(dir / name, c.row), true);
    EXPECT_EQ(r.exit_code, 2) << c.row << "\n" << r.out;
    EXPECT_NE(r.out.find(name + c.expect), std::string::npos) << c.row << "\n" << r.out;
  }
  // Against a forward given on the command line, a call above it is absurd too.
  const auto above = Exec("options chain -d 5 -f 24020 --quotes " +
                              WriteChain(dir / "above.csv", "23000,24100,24200,1,2"),
                          true);
  EXPECT_EQ(above.exit_code, 2) << above.out;
  EXPECT_NE(above.out.find("above.csv:11: column 2 (call_bid): call price 24100 above the "
                           "underlying (given forward 24020.00)"),
            std::string::npos)
      << above.out;
  { std::ofstream(dir / "header.csv") << "strike,bid,ask\n24000,1,2\n"; }
  const auto header = Exec("options chain -d 5 --quotes " + (dir / "header.csv").string(), true);
  EXPECT_EQ(header.exit_code, 2);
  EXPECT_NE(header.out.find("header.csv:1: unknown header 'strike,bid,ask'"), std::string::npos)
      << header.out;
  const auto folder = Exec("options chain -d 5 --quotes " + dir.string(), true);
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.out.find("is a directory"), std::string::npos) << folder.out;
  std::filesystem::remove_all(dir);
}

TEST(OptionsCli, ChainCountIsBounded) {
  for (const char* bad : {"0", "-2", "501", "100000"}) {
    const auto r = Exec(fmt::format("options chain -f 24000 -d 5 -v 14 --count {}", bad), true);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(
        r.out.find(fmt::format("--count must be 1 to 500 strikes each side of ATM, got {}", bad)),
        std::string::npos)
        << r.out;
  }
  for (const char* bad : {"abc", "4294967297", "1.5"}) {
    const auto r = Exec(fmt::format("options chain -f 24000 -d 5 -v 14 --count {}", bad), true);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.out.find("--count"), std::string::npos) << r.out;
  }
  const auto step = Exec("options chain -f 24000 -d 5 -v 14 --step inf", true);
  EXPECT_EQ(step.exit_code, 2);
  EXPECT_NE(step.out.find("--step must be a positive number"), std::string::npos) << step.out;
  const auto fwd = Exec("options chain -f nan -d 5 -v 14", true);
  EXPECT_EQ(fwd.exit_code, 2);
  EXPECT_NE(fwd.out.find("--forward must be a finite number"), std::string::npos) << fwd.out;
  // 3 strikes each side of ATM: 7 rows under the header.
  const auto ok = Exec("options chain -f 24000 -d 5 -v 14 --count 3");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(std::count(ok.out.begin(), ok.out.end(), '\n'), 2 + 7) << ok.out;
}

// NSE's export: the header row "CALLS,,PUTS" selects the catalog importer's parser.
const std::string kNseHeader =
    "CALLS,,PUTS\n"
    ",OI,CHNG IN OI,VOLUME,IV,LTP,CHNG,BID QTY,BID,ASK,ASK QTY,STRIKE,"
    "BID QTY,BID,ASK,ASK QTY,CHNG,LTP,IV,VOLUME,CHNG IN OI,OI,\n";

std::string NseRow(double strike, double cb, double ca, double pb, double pa) {
  auto cell = [](double v) { return v > 0 ? fmt::format("\"{:.2f}\"", v) : std::string("-"); };
  auto qty = [](double v) { return v > 0 ? std::string("\"1,300\"") : std::string("-"); };
  return fmt::format(",-,-,-,-,-,-,{},{},{},{},\"{:.2f}\",{},{},{},{},-,-,-,-,-,-,\n", qty(cb),
                     cell(cb), cell(ca), qty(ca), strike, qty(pb), cell(pb), cell(pa), qty(pa));
}

TEST(OptionsCli, ChainReadsNseExportSkipsOneSidedAndChecksRows) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_options_cli_nse";
  std::filesystem::create_directories(dir);
  const double f = 24020, t = 5.0 / 365, r = 0.065;
  std::string text = kNseHeader;
  for (int k = 23800; k <= 24200; k += 50) {
    const double c = nacre::pricing::Black76Price(nacre::OptionKind::kCall, f, k, t, 0.12, r);
    const double p = nacre::pricing::Black76Price(nacre::OptionKind::kPut, f, k, t, 0.12, r);
    // 24,150 put: an ask and no bid (one-sided), skipped with a warning.
    text += NseRow(k, c - 0.05, c + 0.05, k == 24150 ? 0 : p - 0.05, p + 0.05);
  }
  std::ofstream(dir / "oc.csv") << text;
  const auto ok = Exec("options chain -d 5 -r 6.5 --quotes " + (dir / "oc.csv").string(), true);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NEAR(ValueAfter(ok.out, "forward"), f, 0.5);
  EXPECT_NEAR(ValueAfter(ok.out, "ATM IV"), 12.0, 0.2);
  EXPECT_NE(ok.out.find("warning: " + (dir / "oc.csv").string() +
                        ": 1 one-sided quote skipped (bid or ask missing; a quote needs both): "
                        "line 10 strike 24150.00 PE (no bid; ask "),
            std::string::npos)
      << ok.out;
  // A crossed book and an absurd price in the export: named by line and NSE column.
  std::ofstream(dir / "crossed.csv") << kNseHeader << NseRow(24000, 100, 90, 80, 81);
  const auto crossed = Exec("options chain -d 5 --quotes " + (dir / "crossed.csv").string(), true);
  EXPECT_EQ(crossed.exit_code, 2);
  EXPECT_NE(crossed.out.find("crossed.csv:3: column 10 (ASK, calls): ask 90.00 below bid 100.00 "
                             "(crossed)"),
            std::string::npos)
      << crossed.out;
  std::ofstream(dir / "absurd.csv")
      << kNseHeader << NseRow(24000, 100, 101, 80, 81) << NseRow(24050, 70, 71, 24060, 24070);
  const auto absurd = Exec("options chain -d 5 --quotes " + (dir / "absurd.csv").string(), true);
  EXPECT_EQ(absurd.exit_code, 2);
  EXPECT_NE(absurd.out.find("absurd.csv:4: column 14 (BID, puts): put price 24060 above the "
                            "strike 24050"),
            std::string::npos)
      << absurd.out;
  std::filesystem::remove_all(dir);
}

TEST(OptionsCli, ChainReadsNseRealExport) {
  const std::filesystem::path real = std::filesystem::path(NACRE_SOURCE_DIR) /
                                     "../shared/data/real/nse_optionchain_NIFTY_exp30Jun2026.csv";
  if (!std::filesystem::exists(real)) GTEST_SKIP() << real.string() << " not present";
  const auto r = Exec(
      "options chain --expiry 2026-06-30 --at '2026-06-29 15:30' --count 4 "
      "--quotes ../shared/data/real/nse_optionchain_NIFTY_exp30Jun2026.csv",
      true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The one put with an ask and no bid (34,500) is skipped and named, as the importer does.
  EXPECT_NE(r.out.find("1 one-sided quote skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("strike 34500.00 PE (no bid"), std::string::npos) << r.out;
  const double atm = ValueAfter(r.out, "ATM");
  EXPECT_EQ(std::fmod(atm, 50.0), 0.0);
  EXPECT_NEAR(ValueAfter(r.out, "forward"), atm, 50.0);
  // --count 4: the ATM strike and 4 each side.
  std::size_t rows = 0;
  for (double k = atm - 200; k <= atm + 200; k += 50) {
    rows += r.out.find(fmt::format("\n{:>10.2f} ", k)) != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(rows, 9u) << r.out;
  EXPECT_EQ(r.out.find(fmt::format("\n{:>10.2f} ", atm + 250)), std::string::npos) << r.out;
}

}  // namespace
