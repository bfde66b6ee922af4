#include "common/params.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/param_docs.h"

namespace nacre {
namespace {

ParamSchema TestSchema() {
  using P = ParamSpec;
  return {"Test",
          "a component for tests",
          {
              P::String("id").Required().Doc("its id"),
              P::Int("period", 10).Range(1, 100).Doc("bars"),
              P::Number("rate_pct", 6.5).AtLeast(0).Below(50).Doc("rate"),
              P::Decimal("pct", "5").Above(0).AtMost(100).Doc("percent"),
              P::Money("capital", "400000").Above(0).Doc("rupees"),
              P::Bool("on", true).Doc("switch"),
              P::Choice("model", "nse", {"nse", "max_loss"}).Doc("model"),
              P::StringList("kinds", {"a", "b"}).Choices({"a", "b", "c"}).Doc("kinds"),
              P::IntList("alerts", {50, 75}).Range(1, 100).Doc("thresholds"),
              P::Int("big").Doc("no range, no default"),
              P::Removed("old", "no longer used: use period"),
          }};
}

struct Parsed {
  std::shared_ptr<toml::table> toml;
  std::unique_ptr<ConfigTable> table;
};

Parsed Parse(const std::string& text) {
  Parsed p;
  p.toml = ConfigTable::ParseString(text, "t.toml");
  p.table = std::make_unique<ConfigTable>(*p.toml, "t.toml", "actors[0].params");
  return p;
}

std::string ErrorOf(const std::string& text, const ParamSchema& schema = TestSchema()) {
  const Parsed p = Parse(text);
  try {
    const Params params(*p.table, schema);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Params, DefaultsComeFromTheSchema) {
  const Parsed p = Parse("id = \"x\"\n");
  const Params params(*p.table, TestSchema());
  EXPECT_EQ(params.GetInt("period"), 10);
  EXPECT_EQ(params.GetInt32("period"), 10);
  EXPECT_EQ(params.GetNumber("rate_pct"), 6.5);
  EXPECT_EQ(params.GetDecimal("pct"), *Price::Parse("5"));
  EXPECT_EQ(params.GetMoney("capital"), Money::FromInt(400'000));
  EXPECT_TRUE(params.GetBool("on"));
  EXPECT_EQ(params.GetString("model"), "nse");
  EXPECT_EQ(params.GetStrings("kinds"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(params.GetInts("alerts"), (std::vector<std::int64_t>{50, 75}));
  EXPECT_FALSE(params.Has("big"));
  EXPECT_THROW((void)params.GetInt("big"), ConfigError);  // no default: given or refused
}

TEST(Params, GivenValuesWin) {
  const Parsed p = Parse(
      "id = \"x\"\nperiod = 20\nrate_pct = 7\npct = \"100\"\ncapital = \"1.50\"\non = false\n"
      "model = \"max_loss\"\nkinds = [\"c\"]\nalerts = []\nbig = 9000000000\n");
  const Params params(*p.table, TestSchema());
  EXPECT_EQ(params.GetInt("period"), 20);
  EXPECT_EQ(params.GetNumber("rate_pct"), 7.0);
  EXPECT_EQ(params.GetDecimal("pct"), *Price::Parse("100"));
  EXPECT_EQ(params.GetMoney("capital"), *Money::Parse("1.50"));
  EXPECT_FALSE(params.GetBool("on"));
  EXPECT_EQ(params.GetString("model"), "max_loss");
  EXPECT_EQ(params.GetStrings("kinds"), std::vector<std::string>{"c"});
  EXPECT_TRUE(params.GetInts("alerts").empty());
  EXPECT_EQ(params.GetInt("big"), 9'000'000'000);
}

TEST(Params, UnknownKeysAreRefusedListingTheKnownOnes) {
  EXPECT_EQ(ErrorOf("id = \"x\"\nperiodd = 3\n"),
            "t.toml:2: unknown key 'actors[0].params.periodd' (known: id, period, rate_pct, pct, "
            "capital, on, model, kinds, alerts, big)");
}

TEST(Params, RemovedKeysSayWhatReplacedThem) {
  EXPECT_EQ(ErrorOf("id = \"x\"\nold = 3\n"),
            "t.toml:2: 'actors[0].params.old': no longer used: use period");
}

TEST(Params, MissingRequiredKeysAreNamed) {
  EXPECT_EQ(ErrorOf("period = 3\n"), "t.toml:1: missing required key 'actors[0].params.id'");
}

TEST(Params, WrongTypesAreRefused) {
  EXPECT_EQ(ErrorOf("id = \"x\"\nperiod = \"ten\"\n"),
            "t.toml:2: 'actors[0].params.period': expected an integer, got string");
  EXPECT_EQ(ErrorOf("id = 3\n"), "t.toml:1: 'actors[0].params.id': expected a string, got integer");
  EXPECT_EQ(ErrorOf("id = \"x\"\non = 1\n"),
            "t.toml:2: 'actors[0].params.on': expected true or false, got integer");
  EXPECT_EQ(ErrorOf("id = \"x\"\nalerts = [\"a\"]\n"),
            "t.toml:2: 'actors[0].params.alerts': expected integers, got string");
}

TEST(Params, ValuesOutOfRangeAreRefusedWithTheRange) {
  EXPECT_EQ(ErrorOf("id = \"x\"\nperiod = 0\n"),
            "t.toml:2: 'actors[0].params.period': must be between 1 and 100, got 0");
  EXPECT_EQ(ErrorOf("id = \"x\"\nperiod = 4294967297\n"),
            "t.toml:2: 'actors[0].params.period': must be between 1 and 100, got 4294967297");
  EXPECT_EQ(ErrorOf("id = \"x\"\nrate_pct = 50\n"),
            "t.toml:2: 'actors[0].params.rate_pct': must be at least 0 and below 50, got 50");
  EXPECT_EQ(ErrorOf("id = \"x\"\npct = 0\n"),
            "t.toml:2: 'actors[0].params.pct': must be above 0 and at most 100, got 0");
  EXPECT_EQ(ErrorOf("id = \"x\"\npct = \"100.000000001\"\n"),
            "t.toml:2: 'actors[0].params.pct': must be above 0 and at most 100, got "
            "100.000000001");
  EXPECT_EQ(ErrorOf("id = \"x\"\ncapital = \"-1\"\n"),
            "t.toml:2: 'actors[0].params.capital': must be above 0, got -1.00");
  EXPECT_EQ(ErrorOf("id = \"x\"\nalerts = [50, 101]\n"),
            "t.toml:2: 'actors[0].params.alerts': must be between 1 and 100, got 101");
  EXPECT_NE(ErrorOf("id = \"x\"\nrate_pct = nan\n").find("must be a finite number"),
            std::string::npos);
  EXPECT_NE(ErrorOf("id = \"x\"\nrate_pct = inf\n").find("rate_pct"), std::string::npos);
}

TEST(Params, ValuesOutsideTheChoicesAreRefused) {
  EXPECT_EQ(ErrorOf("id = \"x\"\nmodel = \"span\"\n"),
            "t.toml:2: 'actors[0].params.model': unknown value \"span\" (expected nse, max_loss)");
  EXPECT_EQ(ErrorOf("id = \"x\"\nkinds = [\"a\", \"z\"]\n"),
            "t.toml:2: 'actors[0].params.kinds': unknown value \"z\" (expected a, b, c)");
}

TEST(Params, VariantKeysApplyOnlyToTheirVariant) {
  using P = ParamSpec;
  const ParamSchema s("[[venues]]", "venues",
                      {P::Choice("model", "simple", {"simple", "nse"}),
                       P::Int("walk_ticks", 1).Range(0, 10).Only({"nse"})},
                      "model");
  EXPECT_EQ(ErrorOf("model = \"nse\"\nwalk_ticks = 2\n", s), "(accepted)");
  EXPECT_EQ(ErrorOf("walk_ticks = 2\n", s),
            "t.toml:1: 'actors[0].params.walk_ticks': applies only with model = nse (this table "
            "has \"simple\")");
  EXPECT_EQ(s.params[1].DocText(s.variant_key), "(only with model = nse)");
}

TEST(Params, ReadingAnUndeclaredKeyOrTheWrongTypeIsAProgrammingError) {
  const Parsed p = Parse("id = \"x\"\n");
  const Params params(*p.table, TestSchema());
  EXPECT_THROW((void)params.GetInt("nope"), std::logic_error);
  EXPECT_THROW((void)params.GetString("period"), std::logic_error);
  EXPECT_THROW((void)params.Has("nope"), std::logic_error);
  EXPECT_THROW((void)params.GetInt32("big"), std::logic_error);  // no range within int's
  EXPECT_THROW((void)params.GetInt("old"), std::logic_error);    // removed keys are not read
}

TEST(ParamDocs, DefaultsRangesAndChoicesPrintAsDeclared) {
  const ParamSchema s = TestSchema();
  EXPECT_EQ(s.Find("id")->DefaultText(), "required");
  EXPECT_EQ(s.Find("period")->AllowedText(), "[1, 100]");
  EXPECT_EQ(s.Find("rate_pct")->AllowedText(), "[0, 50)");
  EXPECT_EQ(s.Find("pct")->AllowedText(), "(0, 100]");
  EXPECT_EQ(s.Find("capital")->AllowedText(), "> 0");
  EXPECT_EQ(s.Find("model")->AllowedText(), "nse | max_loss");
  EXPECT_EQ(s.Find("model")->DefaultText(), "\"nse\"");
  EXPECT_EQ(s.Find("pct")->DefaultText(), "5");
  EXPECT_EQ(s.Find("kinds")->DefaultText(), "[\"a\", \"b\"]");
  EXPECT_EQ(s.Find("alerts")->DefaultText(), "[50, 75]");
  EXPECT_EQ(s.Find("big")->DefaultText(), "");
  EXPECT_EQ(s.Find("old"), nullptr);
}

TEST(ParamDocs, MarkdownEscapesPipesAndListsRemovedKeys) {
  const std::string md = ParamsMarkdown(TestSchema());
  EXPECT_NE(md.find("| `model` | string | `\"nse\"` | nse \\| max_loss | model |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| `id` | string | required |  | its id |"), std::string::npos) << md;
  EXPECT_NE(md.find("Removed: `old`: no longer used: use period"), std::string::npos) << md;
  const std::string text = ParamsText(TestSchema(), "actor");
  EXPECT_EQ(text.rfind("Test (actor): a component for tests\n", 0), 0u) << text;
  EXPECT_NE(text.find("old: removed: no longer used: use period"), std::string::npos) << text;
}

}  // namespace
}  // namespace nacre
