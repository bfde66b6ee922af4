// A small RAII wrapper over DuckDB's C API (duckdb.h from the official npm packages, see
// cmake/DuckDB.cmake). Every failure comes back as an Error carrying DuckDB's own message
// plus the SQL or file involved: "DuckDB: <message> (query: <sql>)". Queries can be
// materialised (small results) or streamed chunk by chunk (catalog reads, so memory does not
// grow with the size of the query). A Database and its Connections belong to one thread at a
// time; DuckDB parallelises inside a query on its own threads.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nacre::duck {

class Database {
 public:
  // `path` empty = in-memory. `threads` 0 = DuckDB's default.
  static Result<std::unique_ptr<Database>> Open(const std::string& path = "", int threads = 0);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  duckdb_database raw() { return db_; }

 private:
  Database() = default;
  duckdb_database db_ = nullptr;
};

// A view of one data chunk (up to 2048 rows) of a result. Valid until the next Fetch.
class Chunk {
 public:
  Chunk() = default;
  explicit Chunk(duckdb_data_chunk c);
  ~Chunk();
  Chunk(Chunk&& o) noexcept;
  Chunk& operator=(Chunk&& o) noexcept;
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  bool empty() const { return chunk_ == nullptr || size_ == 0; }
  std::size_t size() const { return size_; }
  // Raw column data (e.g. const int64_t* for BIGINT, const duckdb_string_t* for VARCHAR).
  template <typename T>
  const T* Column(std::size_t col) const {
    return static_cast<const T*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, col)));
  }
  bool IsValid(std::size_t col, std::size_t row) const;
  // The column's validity mask (bit per row), or nullptr when every row is valid.
  const std::uint64_t* Validity(std::size_t col) const {
    return duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk_, col));
  }
  // VARCHAR / BLOB value as bytes.
  std::string_view String(std::size_t col, std::size_t row) const;

 private:
  duckdb_data_chunk chunk_ = nullptr;
  std::size_t size_ = 0;
};

class QueryResult {
 public:
  QueryResult(duckdb_result r, std::string sql);
  ~QueryResult();
  QueryResult(QueryResult&& o) noexcept;
  QueryResult& operator=(QueryResult&&) = delete;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;

  std::size_t column_count();
  std::string column_name(std::size_t col);
  duckdb_type column_type(std::size_t col);
  // Next chunk; an empty chunk means the result is exhausted. Streaming errors surface here.
  Result<Chunk> Fetch();
  const std::string& sql() const { return sql_; }
  std::uint64_t rows_changed() { return duckdb_rows_changed(&result_); }

 private:
  duckdb_result result_;
  std::string sql_;
  bool valid_ = true;
};

class Appender {
 public:
  Appender(duckdb_appender a, std::string table) : app_(a), table_(std::move(table)) {}
  ~Appender();
  Appender(Appender&& o) noexcept;
  Appender& operator=(Appender&&) = delete;
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  void Int64(std::int64_t v) { Check(duckdb_append_int64(app_, v)); }
  void UInt64(std::uint64_t v) { Check(duckdb_append_uint64(app_, v)); }
  void Int32(std::int32_t v) { Check(duckdb_append_int32(app_, v)); }
  void UInt8(std::uint8_t v) { Check(duckdb_append_uint8(app_, v)); }
  void Double(double v) { Check(duckdb_append_double(app_, v)); }
  void Varchar(std::string_view v) {
    Check(duckdb_append_varchar_length(app_, v.data(), v.size()));
  }
  void Blob(const void* data, std::size_t n) { Check(duckdb_append_blob(app_, data, n)); }
  void Null() { Check(duckdb_append_null(app_)); }
  void EndRow() { Check(duckdb_appender_end_row(app_)); }
  // Flushes and reports the first error of any append since the last Close/Flush.
  Status Close();

 private:
  void Check(duckdb_state s) {
    if (s != DuckDBSuccess && error_.empty()) error_ = ErrorText();
  }
  std::string ErrorText();
  duckdb_appender app_ = nullptr;
  std::string table_;
  std::string error_;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Connect(Database& db);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL that returns nothing useful (DDL, COPY, INSERT).
  Status Execute(const std::string& sql);
  // Materialised result (small queries).
  Result<QueryResult> Query(const std::string& sql);
  // Streaming result: rows are produced as chunks are fetched.
  Result<QueryResult> Stream(const std::string& sql);
  Result<Appender> MakeAppender(const std::string& table);
  duckdb_connection raw() { return con_; }

 private:
  Connection() = default;
  duckdb_connection con_ = nullptr;
};

// SQL string literal with quotes doubled: Quote("it's") -> "'it''s'".
std::string Quote(std::string_view s);

}  // namespace nacre::duck
