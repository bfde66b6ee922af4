#include "backtest/config_schema.h"

#include <fmt/format.h>

#include "nse/calendar_config.h"

namespace nacre {

namespace {

using P = ParamSpec;

const std::vector<std::string> kDerivative = {"future", "option"};
const std::vector<std::string> kFiles = {"nse_index_1min", "ohlcv_csv"};
const std::vector<std::string> kRandomWalk = {"random_walk"};
const std::vector<std::string> kNse = {"nse"};

}  // namespace

ParamSchema BacktestRootSchema() {
  return {"top level",
          "the sections of a backtest config",
          {
              P::Table("engine"),
              P::Table("output"),
              P::Table("risk"),
              P::Table("calendar"),
              P::TableList("venues"),
              P::TableList("instruments"),
              P::TableList("data"),
              P::TableList("actors"),
              P::TableList("strategies"),
          }};
}

ParamSchema EngineSchema() {
  return {
      "[engine]",
      "kernel settings, log and the run's time range (all optional)",
      {
          P::String("trader_id", "TRADER-001").Doc("the trader's id on orders and reports"),
          P::Int("seed", 42).AtLeast(0).Doc("seeds the UUIDs and every random model"),
          P::String("log_level", "WARN").Doc("DEBUG, INFO, WARN, ERROR or OFF"),
          P::Choice("log_format", "text", {"text", "json"}).Doc("kernel log lines"),
          P::Choice("log_time_zone", "IST", {"IST", "UTC"})
              .Doc("zone of log timestamps (they always carry their offset)"),
          P::Time("start").Doc("first data time run (unset: the data's first)"),
          P::Time("end").Doc("data time the run stops at, inclusive; a date alone means through that IST day; after start (unset: the data's last)"),
          P::String("bar_origin")
              .Doc("HH:MM IST origin of internally aggregated time bars (unset: midnight)"),
          P::Int("cache_quotes", 100)
              .Range(1, 1'000'000)
              .Doc("recent quotes the cache keeps per instrument (option contracts: "
                   "cache_option_quotes)"),
          P::Int("cache_trades", 100)
              .Range(1, 1'000'000)
              .Doc("recent trades the cache keeps per instrument"),
          P::Int("cache_bars", 1000).Range(1, 1'000'000).Doc("recent bars kept per bar type"),
          P::Int("cache_option_quotes", 1)
              .Range(1, 1'000'000)
              .Doc("recent quotes the cache keeps per option contract (a component can ask for "
                   "more of one contract)"),
          P::Int("release_expired_after_days", 1)
              .Range(0, 3650)
              .Doc("days after a contract's expiry its quotes, trades and bars leave the cache "
                   "(not its orders or positions; an open position keeps them); 0 keeps them"),
      }};
}

ParamSchema OutputSchema() {
  return {"[output]",
          "the results folder (optional; the --out option wins)",
          {
              P::String("dir").Required().Doc(
                  "results folder written after the run, relative to the config's folder"),
              P::Int("equity_interval_secs", 60)
                  .Range(0, 86'400)
                  .Doc("equity.csv marks open positions once per this many seconds of data "
                       "time (at the first data timestamp of each interval, after all its "
                       "data); 0: at every data timestamp"),
          }};
}

ParamSchema RiskSchema() {
  return {"[risk]",
          "the risk engine's pre-trade checks (optional)",
          {
              P::Bool("bypass", false).Doc("skip every pre-trade check"),
              P::Int("max_submit_per_second", 10)
                  .Range(0, 1'000'000)
                  .Doc("order submissions per second (0: unlimited)"),
              P::Int("max_submit_per_minute", 400)
                  .Range(0, 1'000'000)
                  .Doc("order submissions per minute (0: unlimited)"),
              P::Int("max_modify_per_second", 10)
                  .Range(0, 1'000'000)
                  .Doc("modifications per second (0: unlimited)"),
              P::Int("max_modify_per_minute", 400)
                  .Range(0, 1'000'000)
                  .Doc("modifications per minute (0: unlimited)"),
              P::Money("max_notional_per_order")
                  .Above(0)
                  .Doc("largest notional one order may have (unset: no limit)"),
              P::Bool("check_margin", true).Doc("pre-trade margin check (false: none)"),
              P::Bool("pre_trade_margin", false)
                  .Doc("the NSE SPAN check before the send, on the margin book the NSE venue "
                       "applies on arrival"),
              P::Table("live").Doc("[risk.live]: the live limits, below"),
          }};
}

ParamSchema LiveRiskSchema() {
  return {"[risk.live]",
          "live risk limits (LIVE.md §11), enforced in every environment so a backtest "
          "rehearses them; each is off when unset; a refusal is an OrderDenied with a LIVE_* "
          "reason code",
          {
              P::Money("capital_cap")
                  .Above(0)
                  .Doc("margin the node may block in total (blocked margin + premium paid for "
                       "open long options); an order taking it past is denied (LIVE_CAPITAL_CAP; "
                       "the order's margin from the NSE venue's margin book, which the cap turns "
                       "on before the send, else the instrument's initial margin, else its "
                       "premium)"),
              P::Int("max_lots_per_order")
                  .Range(1, 1'000'000)
                  .Doc("lots in one order (LIVE_MAX_LOTS_PER_ORDER)"),
              P::Int("max_lots_per_spread")
                  .Range(1, 1'000'000)
                  .Doc("lots one spread opens, counted on its largest leg "
                       "(LIVE_MAX_LOTS_PER_SPREAD)"),
              P::Int("max_open_spreads")
                  .Range(1, 1'000'000)
                  .Doc("spreads with positions or working orders at once (LIVE_MAX_OPEN_SPREADS)"),
              P::Int("max_orders_per_day")
                  .Range(1, 1'000'000)
                  .Doc("order submissions per IST day; orders that reduce a position always "
                       "pass (LIVE_MAX_ORDERS_PER_DAY)"),
              P::Money("daily_loss_soft")
                  .Above(0)
                  .Doc("loss of the IST day (realized + unrealized, net of charges) at which "
                       "trading goes REDUCING: only orders that reduce a position pass"),
              P::Money("daily_loss_hard")
                  .Above(0)
                  .Doc("loss of the IST day at which trading is HALTED; at least "
                       "daily_loss_soft"),
              P::Int("loss_check_secs", 1)
                  .Range(1, 3600)
                  .Doc("the loss limits are checked on every submit and fill, and at most this "
                       "often on market data and account updates"),
          }};
}

ParamSchema VenueSchema() {
  return {
      "[[venues]]",
      "one simulated venue each (at least one); model = \"nse\" adds the NSE exchange's keys",
      {
          P::String("name").Required().Doc("venue name, as in instrument ids (\"NFO\")"),
          P::String("account_id").DefaultNote("{name}-001").Doc("the venue account's id"),
          P::Choice("account_type", "MARGIN", {"MARGIN", "CASH"}).Doc("account type"),
          P::Money("starting_balance").Required().Above(0).Doc("cash at the start, \"1000000.00\""),
          P::Choice("bar_fill", "next_open", {"next_open", "current_close"})
              .Doc("price of market orders on bar data"),
          P::Choice("model", "simple", {"simple", "nse"})
              .Doc("simple: fills at the touch, no latency, fees or margin; nse: the NSE "
                   "exchange below"),
          P::Int("walk_ticks", 1)
              .Range(0, 1000)
              .Only(kNse)
              .Doc("ticks a fill walks per further size_step beyond the best price"),
          P::Int("size_step", std::nullopt)
              .Range(1, 1'000'000'000)
              .Only(kNse)
              .DefaultNote("displayed size")
              .Doc("size filled per price level"),
          P::Number("limit_touch_probability", 1.0)
              .Range(0, 1)
              .Only(kNse)
              .Doc("chance a resting limit fills when the market only touches it"),
          P::Bool("queue_position", false).Only(kNse).Doc("model the queue ahead of a limit"),
          P::Choice("stop_trigger", "bid_ask", {"bid_ask", "last"})
              .Only(kNse)
              .Doc("prices that trigger stops"),
          P::Int("seed", 1).AtLeast(0).Only(kNse).Doc("seeds the fill model"),
          P::Int("latency_submit_ms", 0).Range(0, 3'600'000).Only(kNse).Doc("submit latency"),
          P::Int("latency_modify_ms", 0).Range(0, 3'600'000).Only(kNse).Doc("modify latency"),
          P::Int("latency_cancel_ms", 0).Range(0, 3'600'000).Only(kNse).Doc("cancel latency"),
          P::Int("latency_response_ms", 0)
              .Range(0, 3'600'000)
              .Only(kNse)
              .Doc("delay of every answer on its way back"),
          P::Bool("charges", true).Only(kNse).Doc("Zerodha charges on every fill"),
          P::String("charges_file")
              .Only(kNse)
              .Doc("TOML overlay of the charge schedule (keys: Charges overlay, below); needs "
                   "charges"),
          P::Decimal("market_protection")
              .Range(0, 100)
              .Only(kNse)
              .Doc("default market protection of market orders, percent (unset: none)"),
          P::Choice("stop_protection", "trigger", {"trigger", "market"})
              .Only(kNse)
              .Doc("reference of a triggered stop's protection"),
          P::Bool("require_market_protection", true)
              .Only(kNse)
              .Doc("from 2026-04-01 reject MARKET / SL-M orders without protection (Kite)"),
          P::Bool("lpp", true).Only(kNse).Doc("NSE limit price protection bands"),
          P::Bool("margin", true).Only(kNse).Doc("SPAN + exposure margin checks"),
          P::Number("margin_default_vol", 0.15)
              .Above(0)
              .Below(5)
              .Only(kNse)
              .Doc("annual vol for margin when no implied vol can be taken (0.15 = 15%)"),
          P::Number("underlying_vol", 0.0)
              .AtLeast(0)
              .Below(5)
              .Only(kNse)
              .Doc("annual vol of the underlying for the margin price scan"),
      },
      "model"};
}

ParamSchema InstrumentSchema() {
  return {
      "[[instruments]]",
      "instrument definitions (catalog data brings its own)",
      {
          P::String("id").Required().Doc("\"SYMBOL.VENUE\", e.g. \"NIFTY-I.NFO\""),
          P::String("kind").Required().Choices({"index", "future", "option"}).Doc("kind"),
          P::Decimal("tick_size", "0.05").Above(0).Doc("price tick"),
          P::Int("price_precision")
              .Range(0, 9)
              .DefaultNote("tick_size's decimals")
              .Doc("decimals of prices"),
          P::String("raw_symbol")
              .DefaultNote("the id's symbol")
              .Only(kDerivative)
              .Doc("the venue's own symbol"),
          P::Int("lot_size", 1).Range(1, 1'000'000'000).Only(kDerivative).Doc("units per lot"),
          P::Int("multiplier", 1).Range(1, 1'000'000).Only(kDerivative).Doc("contract multiplier"),
          P::Int("freeze_quantity")
              .Range(1, 1'000'000'000)
              .Only(kDerivative)
              .Doc("largest quantity per order (unset: none)"),
          P::Decimal("margin_init")
              .AtLeast(0)
              .Only(kDerivative)
              .Doc("initial margin ratio of notional (unset: 0)"),
          P::Decimal("margin_maint")
              .AtLeast(0)
              .Only(kDerivative)
              .Doc("maintenance margin ratio (unset: 0)"),
          P::String("underlying")
              .Only(kDerivative)
              .DefaultNote("required")
              .Doc("the underlying's id"),
          P::Time("expiry").Only(kDerivative).DefaultNote("required").Doc("expiry time (IST)"),
          P::Time("activation").Only(kDerivative).Doc("listing time (unset: always listed)"),
          P::String("option_kind")
              .Choices({"CALL", "PUT"})
              .Only({"option"})
              .DefaultNote("required")
              .Doc("call or put"),
          P::Decimal("strike").Above(0).Only({"option"}).DefaultNote("required").Doc("strike"),
      },
      "kind"};
}

ParamSchema DataSchema() {
  return {"[[data]] from a file",
          "bars read from a CSV file (streamed) or generated",
          {
              P::String("format")
                  .Required()
                  .Choices({"nse_index_1min", "ohlcv_csv", "random_walk"})
                  .Doc("NSE index 1-minute CSV, generic OHLCV CSV, or a seeded random walk"),
              P::String("bar_type")
                  .Required()
                  .Doc("bar type of the data; its instrument must be in [[instruments]]"),
              P::String("path")
                  .Only(kFiles)
                  .DefaultNote("required")
                  .Doc("the CSV file, relative to the config's folder"),
              P::String("utc_offset", "+05:30")
                  .Only({"ohlcv_csv"})
                  .Doc("zone of the file's times (or Z)"),
              P::Choice("timestamp", "open", {"open", "close"})
                  .Only({"ohlcv_csv"})
                  .Doc("whether a row's time is its bar's open or close"),
              P::String("start_date", "2024-01-01").Only(kRandomWalk).Doc("first day, YYYY-MM-DD"),
              P::Int("days", 250).Range(1, 100'000).Only(kRandomWalk).Doc("trading days generated"),
              P::Decimal("start_price", "21700")
                  .Above(0)
                  .Only(kRandomWalk)
                  .Doc("first price, on the instrument's tick grid"),
              P::Int("ticks_per_step", 40)
                  .Range(1, 1'000'000)
                  .Only(kRandomWalk)
                  .Doc("scale of one sub-step move in ticks (~volatility)"),
              P::Int("seed", 7).AtLeast(0).Only(kRandomWalk).Doc("random seed"),
          },
          "format"};
}

ParamSchema CatalogDataSchema() {
  return {
      "[[data]] from a catalog",
      "quotes, trades or bars streamed from a Parquet catalog (`nacre catalog`), given "
      "by `catalog`",
      {
          P::String("catalog").Required().Doc("catalog folder, relative to the config's folder"),
          P::Choice("type", "quote", {"quote", "trade", "bar"}).Doc("data type read"),
          P::StringOrList("instruments")
              .Doc("instrument ids or globs, e.g. \"NIFTY*.NFO\" (unset: all)"),
          P::Time("start").Doc("first time read (IST unless an offset is given)"),
          P::Time("end").Doc("last time read, inclusive; a date alone means through that IST day; after start"),
          P::Int("threads", 0).Range(0, 64).Doc("DuckDB threads (0: DuckDB's default)"),
          P::Int("memory_limit_mb", 0)
              .Range(0, 1 << 20)
              .Doc("DuckDB memory limit (0: DuckDB's default)"),
          P::Bool("prefetch", true).Doc("read the next chunk while the engine runs"),
          P::Bool("binary_cache", true)
              .Doc("read chain files through their derived binary copies in the catalog's "
                   ".cache folder (written on the first read of a file's whole day, whichever "
                   "instruments it selects; safe to delete)"),
      }};
}

ParamSchema ComponentEntrySchema(const std::string& section) {
  const bool strategies = section == "strategies";
  return {
      fmt::format("[[{}]]", section),
      strategies ? "strategies to run (see Strategies below)" : "actors to run (see Actors below)",
      {
          P::String("type").Required().Doc("a registered name (`nacre components`)"),
          P::String("id")
              .DefaultNote(strategies ? "{type}-001" : "{type}")
              .Doc("unique id of this instance"),
          P::Table("params").Doc(fmt::format("[{}.params]: the component's parameters", section)),
      }};
}

std::vector<ParamSchema> BacktestConfigSections() {
  return {EngineSchema(),
          RiskSchema(),
          LiveRiskSchema(),
          NseCalendarSchema("[calendar]"),
          SpecialSessionSchema("[[calendar.special_sessions]]"),
          VenueSchema(),
          InstrumentSchema(),
          DataSchema(),
          CatalogDataSchema(),
          OutputSchema(),
          ComponentEntrySchema("strategies"),
          ComponentEntrySchema("actors")};
}

}  // namespace nacre
