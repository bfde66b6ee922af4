// `nacre journal ls | show | verify | export`: a live node's journal (persistence/journal.h)
// from the command line. The journal's lock is taken like the node takes it, so a journal in
// use by a running node is refused with that node's pid (nothing reads a file being written).
//   ls PATH                       runs, last seq, clean stop, orders open, tag map, counters
//   show PATH [--from SEQ] [--limit N]   entries from SEQ on, one per line, body as JSON
//   verify PATH                   integrity, gapless seq, unique fills, bodies, order replay
//   export PATH --out FILE [--format csv|jsonl] [--what entries|fills]
// Exit codes: 0 success (verify: no problem), 1 verify found problems or writing failed,
// 2 the journal cannot be opened or the arguments are wrong.
#include <fmt/format.h>

#include <fstream>

#include "cli/commands.h"
#include "persistence/journal.h"
#include "persistence/journal_export.h"

namespace nacre::cli {
namespace {

struct JournalArgs {
  std::string path;
  std::int64_t from = 1;
  std::int64_t limit = 0;
  std::string out;
  std::string format = "csv";
  std::string what = "entries";
};

int Fail(const std::string& msg, int code = 2) {
  fmt::print(stderr, "error: {}\n", msg);
  return code;
}

Result<std::unique_ptr<Journal>> OpenExisting(const std::string& path) {
  JournalOptions options;
  options.create_if_missing = false;
  return Journal::Open(path, options);
}

std::string Time(UnixNanos t) { return t.is_zero() ? "-" : FormatIstExact(t); }

int RunLs(const JournalArgs& a) {
  auto opened = OpenExisting(a.path);
  if (!opened) return Fail(opened.error());
  Journal& j = **opened;
  auto runs = j.Runs();
  if (!runs) return Fail(runs.error(), 1);
  fmt::print("journal {}\n", a.path);
  fmt::print("{:>5}  {:<32}  {:<20}  {:<20}  {}\n", "run", "started", "build", "config",
             "clean stop");
  for (const JournalRun& r : *runs) {
    fmt::print("{:>5}  {:<32}  {:<20}  {:<20}  {}\n", r.run_id, Time(r.started), r.build_id,
               r.config_hash, r.clean_stop ? "yes" : "no");
  }
  // Replay for the order counts; Verify also says whether the file is sound.
  auto report = j.Verify();
  if (!report) return Fail(report.error(), 1);
  auto tags = j.TagCount();
  auto counters = j.Counters();
  auto snapshot = j.LatestSnapshot();
  if (!tags || !counters || !snapshot) return Fail(j.failure().error(), 1);
  fmt::print("last seq {}, {} entries ({} commands, {} order events, {} fills, {} other)\n",
             j.last_seq(), report->entries, report->commands, report->events, report->fills,
             report->other);
  fmt::print("orders {} ({} open), tag map {} rows, latest snapshot {}\n", report->orders,
             report->open_orders, *tags,
             *snapshot ? fmt::format("at seq {}", (*snapshot)->seq) : std::string("none"));
  for (const auto& [name, value] : *counters) fmt::print("counter {} = {}\n", name, value);
  if (!report->ok()) {
    fmt::print("verify: {} problem(s), first: {}\n", report->problems, report->first_problem);
  }
  return 0;
}

int RunShow(const JournalArgs& a) {
  if (a.from < 1) return Fail(fmt::format("--from must be 1 or more, got {}", a.from));
  if (a.limit < 0) return Fail(fmt::format("--limit must be 0 (all) or more, got {}", a.limit));
  auto opened = OpenExisting(a.path);
  if (!opened) return Fail(opened.error());
  std::int64_t shown = 0;
  const Status s = (*opened)->ForEachEntry(a.from - 1, [&](const StoredEntry& e) {
    const JournalEntry& x = e.entry;
    fmt::print("{:>8}  run {}  {}  {:<20}  {:<28}  {:<20}  {:<16}  {}\n", e.seq, e.run_id,
               Time(x.ts_kernel), x.kind, x.client_order_id.empty() ? "-" : x.client_order_id,
               x.venue_order_id.empty() ? "-" : x.venue_order_id,
               x.trade_id.empty() ? "-" : x.trade_id, x.body);
    return a.limit == 0 || ++shown < a.limit;
  });
  if (!s) return Fail(s.error(), 1);
  return 0;
}

int RunVerify(const JournalArgs& a) {
  auto opened = OpenExisting(a.path);
  if (!opened) return Fail(opened.error());
  auto r = (*opened)->Verify();
  if (!r) return Fail(r.error(), 1);
  fmt::print("journal {}\n", a.path);
  fmt::print("integrity: {}\n", r->integrity);
  fmt::print("entries: {} (last seq {}), runs: {}\n", r->entries, r->last_seq, r->runs);
  fmt::print("commands: {}, order events: {}, fills: {}, other: {}\n", r->commands, r->events,
             r->fills, r->other);
  fmt::print("orders: {} ({} open)\n", r->orders, r->open_orders);
  if (r->ok()) {
    fmt::print("verify: ok\n");
    return 0;
  }
  fmt::print("verify: {} problem(s); first{}: {}\n", r->problems,
             r->first_problem_seq > 0 ? fmt::format(" at seq {}", r->first_problem_seq) : "",
             r->first_problem);
  return 1;
}

int RunExport(const JournalArgs& a) {
  JournalExportFormat format;
  if (a.format == "csv") {
    format = JournalExportFormat::kCsv;
  } else if (a.format == "jsonl") {
    format = JournalExportFormat::kJsonLines;
  } else {
    return Fail(fmt::format("--format must be csv or jsonl, got '{}'", a.format));
  }
  JournalExportWhat what;
  if (a.what == "entries") {
    what = JournalExportWhat::kEntries;
  } else if (a.what == "fills") {
    what = JournalExportWhat::kFills;
  } else {
    return Fail(fmt::format("--what must be entries or fills, got '{}'", a.what));
  }
  auto opened = OpenExisting(a.path);
  if (!opened) return Fail(opened.error());
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(fmt::format("cannot write {}", a.out));
  auto rows = ExportJournal(**opened, out, format, what);
  out.close();
  if (!rows) return Fail(rows.error(), 1);
  if (!out) return Fail(fmt::format("writing {} failed", a.out), 1);
  fmt::print("{} {} written to {}\n", *rows, a.what, a.out);
  return 0;
}

}  // namespace

void AddJournalCommands(CLI::App& app, Commands& out) {
  CLI::App* journal = app.add_subcommand(
      "journal", "Inspect a live node's journal (state/{trader_id}/journal.sqlite)");
  journal->require_subcommand(1);
  auto args = std::make_shared<JournalArgs>();

  CLI::App* ls = journal->add_subcommand("ls", "Runs, last seq, clean stop, open orders, tag map");
  ls->add_option("path", args->path, "Journal file")->required();
  out.emplace_back(ls, [args] { return RunLs(*args); });

  CLI::App* show = journal->add_subcommand("show", "Entries in seq order, body as JSON");
  show->add_option("path", args->path, "Journal file")->required();
  show->add_option("--from", args->from, "First seq to show (default 1)");
  show->add_option("--limit", args->limit, "At most N entries (default 0: all)");
  out.emplace_back(show, [args] { return RunShow(*args); });

  CLI::App* verify = journal->add_subcommand(
      "verify", "Integrity, gapless seq, unique fills, bodies, order state-machine replay");
  verify->add_option("path", args->path, "Journal file")->required();
  out.emplace_back(verify, [args] { return RunVerify(*args); });

  CLI::App* exp = journal->add_subcommand("export", "Entries or fills as CSV or JSON lines");
  exp->add_option("path", args->path, "Journal file")->required();
  exp->add_option("--out", args->out, "Output file")->required();
  exp->add_option("--format", args->format, "csv (default) or jsonl");
  exp->add_option("--what", args->what, "entries (default) or fills");
  out.emplace_back(exp, [args] { return RunExport(*args); });
}

}  // namespace nacre::cli
