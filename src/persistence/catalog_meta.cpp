// Reading a data file's metadata: Nacre's plain Parquet key-value pairs, or NautilusTrader's
// inside the base64 Arrow IPC schema (a minimal FlatBuffers walk of its Schema message).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "persistence/catalog.h"
#include "persistence/footer_cache.h"
#include "persistence/catalog_layout.h"
#include "persistence/duckdb.h"

namespace nacre {

namespace {

// ---- base64 and a minimal FlatBuffers walk of an Arrow IPC Schema message ----

std::string Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;  // padding, whitespace
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

class FlatBuf {
 public:
  explicit FlatBuf(std::string_view b) : b_(b) {}
  bool U32(std::size_t pos, std::uint32_t& v) const {
    if (pos + 4 > b_.size()) return false;
    std::memcpy(&v, b_.data() + pos, 4);
    return true;
  }
  bool U16(std::size_t pos, std::uint16_t& v) const {
    if (pos + 2 > b_.size()) return false;
    std::memcpy(&v, b_.data() + pos, 2);
    return true;
  }
  // Position of field `i`'s data in the table at `table`, or 0 when absent/invalid.
  std::size_t Field(std::size_t table, int i) const {
    std::uint32_t soff = 0;
    if (!U32(table, soff)) return 0;
    const auto vt = static_cast<std::int64_t>(table) - static_cast<std::int32_t>(soff);
    if (vt < 0) return 0;
    std::uint16_t vsize = 0;
    if (!U16(static_cast<std::size_t>(vt), vsize)) return 0;
    const std::size_t slot = 4 + 2 * static_cast<std::size_t>(i);
    if (slot + 2 > vsize) return 0;
    std::uint16_t off = 0;
    if (!U16(static_cast<std::size_t>(vt) + slot, off) || off == 0) return 0;
    return table + off;
  }
  // Follows the uoffset stored at `pos`.
  std::size_t Deref(std::size_t pos) const {
    std::uint32_t off = 0;
    if (pos == 0 || !U32(pos, off) || pos + off >= b_.size()) return 0;
    return pos + off;
  }
  bool String(std::size_t pos, std::string& out) const {
    std::uint32_t n = 0;
    if (pos == 0 || !U32(pos, n) || pos + 4 + n > b_.size()) return false;
    out.assign(b_.data() + pos + 4, n);
    return true;
  }

 private:
  std::string_view b_;
};

// Custom metadata of the Schema in an Arrow IPC message (optionally with the 0xFFFFFFFF
// continuation marker and length prefix).
std::vector<std::pair<std::string, std::string>> ArrowSchemaMetadata(std::string_view msg) {
  std::vector<std::pair<std::string, std::string>> kv;
  std::uint32_t first = 0;
  if (msg.size() < 8) return kv;
  std::memcpy(&first, msg.data(), 4);
  msg.remove_prefix(first == 0xFFFFFFFFu ? 8 : 4);
  FlatBuf fb(msg);
  std::uint32_t root = 0;
  if (!fb.U32(0, root) || root == 0 || root >= msg.size()) return kv;
  const std::size_t message = root;
  const std::size_t schema = fb.Deref(fb.Field(message, 2));  // Message.header
  if (schema == 0) return kv;
  const std::size_t vec = fb.Deref(fb.Field(schema, 2));  // Schema.custom_metadata
  std::uint32_t n = 0;
  if (vec == 0 || !fb.U32(vec, n)) return kv;
  for (std::uint32_t i = 0; i < n && i < 1024; ++i) {
    const std::size_t item = fb.Deref(vec + 4 + 4 * static_cast<std::size_t>(i));
    if (item == 0) continue;
    std::string k;
    std::string v;
    if (fb.String(fb.Deref(fb.Field(item, 0)), k) && fb.String(fb.Deref(fb.Field(item, 1)), v)) {
      kv.emplace_back(std::move(k), std::move(v));
    }
  }
  return kv;
}

void ApplyMeta(ParquetDataMeta& m, const std::string& key, const std::string& value) {
  auto to_int = [](const std::string& s) {
    int v = -1;
    if (s.empty() || s.size() > 2) return -1;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  if (key == "instrument_id") m.instrument_id = value;
  if (key == "bar_type") m.bar_type = value;
  if (key == "price_precision") m.price_precision = to_int(value);
  if (key == "size_precision") m.size_precision = to_int(value);
  if (key == "layout" && value == "chain") m.chain = true;
  if (key == "chain_instruments" && !ParseChainMembers(value, m.members)) {
    m.members.clear();
    m.chain_members_bad = true;
  }
}

// One key-value pair of a Parquet footer: Nacre's own keys, or NautilusTrader's inside the
// base64 Arrow schema.
void ApplyKv(ParquetDataMeta& m, const std::string& key, const std::string& value) {
  if (key == "ARROW:schema") {
    m.arrow_schema = true;
    for (const auto& [k, v] : ArrowSchemaMetadata(Base64Decode(value))) ApplyMeta(m, k, v);
  } else {
    ApplyMeta(m, key, value);
  }
}

}  // namespace

Result<ParquetDataMeta> ReadParquetDataMeta(duck::Connection& con, const std::string& path) {
  auto r = con.Query(fmt::format("SELECT decode(key), decode(value) FROM parquet_kv_metadata({})",
                                 duck::Quote(path)));
  if (!r) return MakeError(r.error());
  ParquetDataMeta m;
  for (;;) {
    auto c = r->Fetch();
    if (!c) return MakeError(c.error());
    if (c->empty()) break;
    for (std::size_t i = 0; i < c->size(); ++i) {
      ApplyKv(m, std::string(c->String(0, i)), std::string(c->String(1, i)));
    }
  }
  return m;
}

namespace catalog_detail {

ParquetDataMeta MetaFromFooterPairs(const FooterPairs& pairs) {
  ParquetDataMeta m;
  for (const auto& [key, value] : pairs) ApplyKv(m, key, value);
  return m;
}

Status ReadFooterPairsBatch(duck::Connection& con, const std::vector<CatalogFile>& files,
                            std::vector<FooterPairs>& out) {
  constexpr std::size_t kBatch = 512;  // paths per query (keeps the SQL text modest)
  out.assign(files.size(), {});
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < files.size(); ++i) index.emplace(files[i].path, i);
  for (std::size_t from = 0; from < files.size(); from += kBatch) {
    const std::size_t to = std::min(files.size(), from + kBatch);
    std::string list;
    for (std::size_t i = from; i < to; ++i) {
      if (!list.empty()) list += ", ";
      list += duck::Quote(files[i].path);
    }
    auto r = con.Query(fmt::format(
        "SELECT file_name, decode(key), decode(value) FROM parquet_kv_metadata([{}])", list));
    if (!r) return MakeError(r.error());
    for (;;) {
      auto c = r->Fetch();
      if (!c) return MakeError(c.error());
      if (c->empty()) break;
      for (std::size_t i = 0; i < c->size(); ++i) {
        auto it = index.find(std::string(c->String(0, i)));
        if (it == index.end()) continue;
        out[it->second].emplace_back(std::string(c->String(1, i)), std::string(c->String(2, i)));
      }
    }
  }
  return Status::Ok();
}

}  // namespace catalog_detail

Status ReadParquetDataMetaBatch(duck::Connection& con, std::vector<CatalogFile>& files) {
  std::vector<catalog_detail::FooterPairs> pairs;
  if (Status s = catalog_detail::ReadFooterPairsBatch(con, files, pairs); !s) return s;
  for (std::size_t i = 0; i < files.size(); ++i) {
    files[i].meta = catalog_detail::MetaFromFooterPairs(pairs[i]);
  }
  return Status::Ok();
}

std::string FormatChainMembers(const std::vector<ChainMember>& members) {
  std::string out;
  for (const ChainMember& m : members) {
    out += fmt::format("{}\t{}\t{}\t{}\n", m.instrument_id, m.first.value, m.last.value, m.rows);
  }
  return out;
}

bool ParseChainMembers(std::string_view text, std::vector<ChainMember>& out) {
  out.clear();
  auto number = [](std::string_view s, std::uint64_t& v) {
    if (s.empty() || s.size() > 19) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  };
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    std::string_view field[4];
    for (int i = 0; i < 4; ++i) {
      const std::size_t tab = i < 3 ? line.find('\t') : line.size();
      if (tab == std::string_view::npos) return false;
      field[i] = line.substr(0, tab);
      line = i < 3 ? line.substr(tab + 1) : std::string_view();
    }
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    ChainMember m;
    if (field[0].empty() || !number(field[1], first) || !number(field[2], last) ||
        !number(field[3], m.rows) || last < first) {
      return false;
    }
    m.instrument_id = std::string(field[0]);
    m.first = UnixNanos(static_cast<std::int64_t>(first));
    m.last = UnixNanos(static_cast<std::int64_t>(last));
    out.push_back(std::move(m));
  }
  return true;
}

}  // namespace nacre
