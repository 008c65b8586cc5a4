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
# Run at build time (POST_BUILD): cmake -DTEST_BINARY=... -DTEST_TARGET=...
#   -DCTEST_FILE=... -DTEST_TIMEOUT=... -P gtest_suites.cmake
execute_process(
  COMMAND "${TEST_BINARY}" --gtest_list_tests
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_err
  RESULT_VARIABLE rc
  TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --gtest_list_tests failed (${rc}): ${listing_err}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(content "")
set(count 0)
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with '.', optionally followed by a
  # comment ("Suite.  # TypeParam = int"); test lines are indented.
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(suite "${CMAKE_MATCH_1}")
    set(name "${TEST_TARGET}:${suite}")
    string(APPEND content
      "add_test([==[${name}]==] [==[${TEST_BINARY}]==] [==[--gtest_filter=${suite}.*]==])\n"
      "set_tests_properties([==[${name}]==] PROPERTIES LABELS [==[${TEST_TARGET}]==] "
      "TIMEOUT ${TEST_TIMEOUT})\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} lists no test suite")
endif()
file(WRITE "${CTEST_FILE}" "${content}")
