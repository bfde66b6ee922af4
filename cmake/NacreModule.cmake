# nacre_module(NAME DEPS dep...): one static library per folder under src/.
# Sources are every *.cpp in the folder except *_test.cpp; tests beside the code form one
# test executable per module (nacre_<name>_tests) registered with CTest.
function(nacre_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(NACRE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(nacre_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(lib_sources "")
  set(test_sources "")
  foreach(src IN LISTS all_sources)
    if(src MATCHES "_test\\.cpp$")
      list(APPEND test_sources ${src})
    else()
      list(APPEND lib_sources ${src})
    endif()
  endforeach()
  add_library(nacre_${name} STATIC ${lib_sources})
  target_include_directories(nacre_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(nacre_${name} PUBLIC ${ARG_DEPS})
  nacre_warnings(nacre_${name})
  if(NACRE_BUILD_TESTS AND test_sources)
    include(GoogleTest)
    add_executable(nacre_${name}_tests ${test_sources})
    target_link_libraries(nacre_${name}_tests PRIVATE nacre_${name} nacre_testkit ${ARG_TEST_DEPS}
                                                      GTest::gtest GTest::gtest_main)
    nacre_warnings(nacre_${name}_tests)
    gtest_discover_tests(nacre_${name}_tests DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS unit)
  endif()
endfunction()
