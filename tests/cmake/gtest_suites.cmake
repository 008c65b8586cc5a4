# Writes CTEST_FILE: one CTest test per GoogleTest suite of TEST_BINARY
# ("<TEST_TARGET>:<Suite>", run as `TEST_BINARY --gtest_filter=<Suite>.*`).
#
# Why not gtest_discover_tests (one CTest test per TEST): every test then
# runs in a process of its own, so a suite's SetUpTestSuite (a real Redis
# Cluster filled with data, a corpus converted once) ran again for each of
# its tests, and every start of an ASan binary costs ~0.2 s. One process
# per suite runs each suite as GoogleTest means it to; suites still run in
# parallel under `ctest -j`.
#
# A suite named in SPLIT_SUITES (comma separated) gets one CTest test per
# TEST instead: for long suites of independent tests with no shared set-up,
# which would otherwise be the suite run's critical path.
#
# Run at build time (POST_BUILD): cmake -DTEST_BINARY=... -DTEST_TARGET=...
#   -DCTEST_FILE=... -DTEST_TIMEOUT=... [-DSPLIT_SUITES=A,B] -P gtest_suites.cmake
cmake_minimum_required(VERSION 3.22)
execute_process(
  COMMAND "${TEST_BINARY}" --gtest_list_tests
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_err
  RESULT_VARIABLE rc
  TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --gtest_list_tests failed (${rc}): ${listing_err}")
endif()
string(REPLACE "," ";" split_suites "${SPLIT_SUITES}")
string(REPLACE "\n" ";" lines "${listing}")
set(content "")
set(count 0)
set(suite "")
set(split OFF)
macro(add_one name filter)
  string(APPEND content
    "add_test([==[${name}]==] [==[${TEST_BINARY}]==] [==[--gtest_filter=${filter}]==])\n"
    "set_tests_properties([==[${name}]==] PROPERTIES LABELS [==[${TEST_TARGET}]==] "
    "TIMEOUT ${TEST_TIMEOUT})\n")
  math(EXPR count "${count} + 1")
endmacro()
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with '.', optionally followed by a
  # comment ("Suite.  # TypeParam = int"); test lines are indented
  # ("  Name" or "  Name  # GetParam() = 3").
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(suite "${CMAKE_MATCH_1}")
    if(suite IN_LIST split_suites)
      set(split ON)
    else()
      set(split OFF)
      add_one("${TEST_TARGET}:${suite}" "${suite}.*")
    endif()
  elseif(split AND line MATCHES "^  ([^ ]+)")
    add_one("${TEST_TARGET}:${suite}.${CMAKE_MATCH_1}" "${suite}.${CMAKE_MATCH_1}")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} lists no test suite")
endif()
file(WRITE "${CTEST_FILE}" "${content}")
