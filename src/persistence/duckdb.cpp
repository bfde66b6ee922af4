#include "persistence/duckdb.h"

#include <fmt/format.h>

namespace nacre::duck {

namespace {
std::string Failure(std::string_view message, std::string_view sql) {
  return fmt::format("DuckDB: {} (query: {})", message, sql);
}
}  // namespace

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int threads) {
  std::unique_ptr<Database> db(new Database());
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) return MakeError("DuckDB: out of memory");
  if (threads > 0) {
    duckdb_set_config(config, "threads", std::to_string(threads).c_str());
  }
  char* err = nullptr;
  const duckdb_state s =
      duckdb_open_ext(path.empty() ? nullptr : path.c_str(), &db->db_, config, &err);
  duckdb_destroy_config(&config);
  if (s != DuckDBSuccess) {
    std::string msg = err ? err : "unknown error";
    if (err) duckdb_free(err);
    return MakeError(fmt::format("DuckDB: cannot open database '{}': {}", path, msg));
  }
  return db;
}

Database::~Database() {
  if (db_ != nullptr) duckdb_close(&db_);
}

Chunk::Chunk(duckdb_data_chunk c) : chunk_(c), size_(c ? duckdb_data_chunk_get_size(c) : 0) {}

Chunk::~Chunk() {
  if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
}

Chunk::Chunk(Chunk&& o) noexcept : chunk_(o.chunk_), size_(o.size_) {
  o.chunk_ = nullptr;
  o.size_ = 0;
}

Chunk& Chunk::operator=(Chunk&& o) noexcept {
  if (this != &o) {
    if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
    chunk_ = o.chunk_;
    size_ = o.size_;
    o.chunk_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

bool Chunk::IsValid(std::size_t col, std::size_t row) const {
  std::uint64_t* validity = duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk_, col));
  return validity == nullptr || duckdb_validity_row_is_valid(validity, row);
}

std::string_view Chunk::String(std::size_t col, std::size_t row) const {
  const auto* s = Column<duckdb_string_t>(col) + row;
  const std::uint32_t len = s->value.inlined.length;
  if (len <= 12) return {s->value.inlined.inlined, len};
  return {s->value.pointer.ptr, len};
}

QueryResult::QueryResult(duckdb_result r, std::string sql) : result_(r), sql_(std::move(sql)) {}

QueryResult::~QueryResult() {
  if (valid_) duckdb_destroy_result(&result_);
}

QueryResult::QueryResult(QueryResult&& o) noexcept : result_(o.result_), sql_(std::move(o.sql_)) {
  o.valid_ = false;
}

std::size_t QueryResult::column_count() { return duckdb_column_count(&result_); }
std::string QueryResult::column_name(std::size_t col) {
  const char* n = duckdb_column_name(&result_, col);
  return n ? n : "";
}
duckdb_type QueryResult::column_type(std::size_t col) {
  return duckdb_column_type(&result_, col);
}

Result<Chunk> QueryResult::Fetch() {
  duckdb_data_chunk c = duckdb_fetch_chunk(result_);
  if (c == nullptr) {
    const char* err = duckdb_result_error(&result_);
    if (err != nullptr && *err != '\0') return MakeError(Failure(err, sql_));
    return Chunk();
  }
  return Chunk(c);
}

Appender::~Appender() {
  if (app_ != nullptr) duckdb_appender_destroy(&app_);
}

Appender::Appender(Appender&& o) noexcept
    : app_(o.app_), table_(std::move(o.table_)), error_(std::move(o.error_)) {
  o.app_ = nullptr;
}

std::string Appender::ErrorText() {
  duckdb_error_data e = duckdb_appender_error_data(app_);
  std::string msg = e ? duckdb_error_data_message(e) : "append failed";
  if (e) duckdb_destroy_error_data(&e);
  return fmt::format("DuckDB: {} (appending to {})", msg, table_);
}

Status Appender::Close() {
  if (app_ == nullptr) return Status::Ok();
  if (duckdb_appender_close(app_) != DuckDBSuccess && error_.empty()) error_ = ErrorText();
  duckdb_appender_destroy(&app_);
  app_ = nullptr;
  if (!error_.empty()) return MakeError(error_);
  return Status::Ok();
}

Result<std::unique_ptr<Connection>> Connection::Connect(Database& db) {
  std::unique_ptr<Connection> c(new Connection());
  if (duckdb_connect(db.raw(), &c->con_) != DuckDBSuccess) {
    return MakeError("DuckDB: cannot connect to database");
  }
  return c;
}

Connection::~Connection() {
  if (con_ != nullptr) duckdb_disconnect(&con_);
}

Status Connection::Execute(const std::string& sql) {
  auto r = Query(sql);
  if (!r) return MakeError(r.error());
  return Status::Ok();
}

Result<QueryResult> Connection::Query(const std::string& sql) {
  duckdb_result r;
  if (duckdb_query(con_, sql.c_str(), &r) != DuckDBSuccess) {
    const char* err = duckdb_result_error(&r);
    std::string msg = err ? err : "unknown error";
    duckdb_destroy_result(&r);
    return MakeError(Failure(msg, sql));
  }
  return QueryResult(r, sql);
}

Result<QueryResult> Connection::Stream(const std::string& sql) {
  duckdb_prepared_statement stmt = nullptr;
  if (duckdb_prepare(con_, sql.c_str(), &stmt) != DuckDBSuccess) {
    std::string msg = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "prepare failed";
    duckdb_destroy_prepare(&stmt);
    return MakeError(Failure(msg, sql));
  }
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(stmt, &pending) != DuckDBSuccess) {
    std::string msg = duckdb_pending_error(pending) ? duckdb_pending_error(pending) : "failed";
    duckdb_destroy_pending(&pending);
    duckdb_destroy_prepare(&stmt);
    return MakeError(Failure(msg, sql));
  }
  duckdb_result r;
  const duckdb_state s = duckdb_execute_pending(pending, &r);
  duckdb_destroy_pending(&pending);
  duckdb_destroy_prepare(&stmt);
  if (s != DuckDBSuccess) {
    const char* err = duckdb_result_error(&r);
    std::string msg = err ? err : "unknown error";
    duckdb_destroy_result(&r);
    return MakeError(Failure(msg, sql));
  }
  return QueryResult(r, sql);
}

Result<Appender> Connection::MakeAppender(const std::string& table) {
  duckdb_appender a = nullptr;
  if (duckdb_appender_create(con_, nullptr, table.c_str(), &a) != DuckDBSuccess) {
    std::string msg = "cannot create appender";
    if (a != nullptr) {
      duckdb_error_data e = duckdb_appender_error_data(a);
      if (e) {
        msg = duckdb_error_data_message(e);
        duckdb_destroy_error_data(&e);
      }
      duckdb_appender_destroy(&a);
    }
    return MakeError(fmt::format("DuckDB: {} (table: {})", msg, table));
  }
  return Appender(a, table);
}

}  // namespace nacre::duck
