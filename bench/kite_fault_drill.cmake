# The Zerodha fault drill's core (kite_fault_drill.h): used by the bench program
# nacre_kite_fault_drill and by the live integration test that runs it briefly. Included from
# both bench/ and tests/ (whichever comes first defines it).
if(NOT TARGET nacre_kite_drill_core)
  add_library(nacre_kite_drill_core STATIC ${PROJECT_SOURCE_DIR}/bench/kite_fault_drill.cpp)
  target_include_directories(nacre_kite_drill_core PUBLIC ${PROJECT_SOURCE_DIR}/bench)
  target_link_libraries(nacre_kite_drill_core PUBLIC nacre_kite_emulator nacre_zerodha
                                                     nacre_persistence)
  nacre_warnings(nacre_kite_drill_core)
endif()
