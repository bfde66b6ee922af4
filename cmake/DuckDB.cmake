# DuckDB through its C API. By default the official libduckdb.so and duckdb.h are fetched from
# the npm registry (scripts/fetch_duckdb.sh) into build/_deps/duckdb-1.4.4, shared by every
# preset's build tree. Point NACRE_DUCKDB_ROOT at a system DuckDB instead (a folder with
# include/duckdb.h and lib/libduckdb.so).
set(NACRE_DUCKDB_ROOT "" CACHE PATH "Folder with include/duckdb.h and lib/libduckdb.so")
if(NACRE_DUCKDB_ROOT STREQUAL "")
  set(_duckdb_dir "${PROJECT_SOURCE_DIR}/build/_deps/duckdb-1.4.4")
  if(NOT EXISTS "${_duckdb_dir}/lib/libduckdb.so" OR NOT EXISTS "${_duckdb_dir}/include/duckdb.h")
    message(STATUS "Fetching DuckDB 1.4.4 from the npm registry into ${_duckdb_dir}")
    execute_process(COMMAND "${PROJECT_SOURCE_DIR}/scripts/fetch_duckdb.sh" "${_duckdb_dir}"
                    RESULT_VARIABLE _duckdb_rc)
    if(NOT _duckdb_rc EQUAL 0)
      message(FATAL_ERROR "Could not fetch DuckDB (npm pack failed). Install npm or set "
                          "NACRE_DUCKDB_ROOT to a folder with include/duckdb.h and lib/libduckdb.so.")
    endif()
  endif()
else()
  set(_duckdb_dir "${NACRE_DUCKDB_ROOT}")
endif()
find_path(DUCKDB_INCLUDE_DIR duckdb.h PATHS "${_duckdb_dir}/include" NO_DEFAULT_PATH REQUIRED)
find_library(DUCKDB_LIBRARY duckdb PATHS "${_duckdb_dir}/lib" NO_DEFAULT_PATH REQUIRED)
add_library(DuckDB::duckdb SHARED IMPORTED GLOBAL)
set_target_properties(DuckDB::duckdb PROPERTIES
  IMPORTED_LOCATION "${DUCKDB_LIBRARY}"
  IMPORTED_SONAME "libduckdb.so"
  INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_INCLUDE_DIR}")
message(STATUS "DuckDB: ${DUCKDB_LIBRARY}")
