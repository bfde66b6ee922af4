# The Kite emulator soak's core (emulator_soak.h): used by the bench program
# nacre_emulator_soak and by the integration test that runs it briefly. Included from both
# bench/ and tests/ (whichever comes first defines it), so the smoke test builds even when
# NACRE_BUILD_BENCH is off.
if(NOT TARGET nacre_emulator_soak_core)
  add_library(nacre_emulator_soak_core STATIC ${PROJECT_SOURCE_DIR}/bench/emulator_soak_run.cpp)
  target_include_directories(nacre_emulator_soak_core PUBLIC ${PROJECT_SOURCE_DIR}/bench)
  target_link_libraries(nacre_emulator_soak_core PUBLIC nacre_kite_emulator)
  nacre_warnings(nacre_emulator_soak_core)
endif()
