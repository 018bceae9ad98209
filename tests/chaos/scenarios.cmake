# The chaos scenarios as CTest tests (label chaos), short versions. Each runs the real binaries
# through bash; RUN_SERIAL because they measure latency and kill processes, and must not share
# the machine with other tests' load.
#
# Every scenario is registered: each fails loudly when its expectation is violated, none skips.
file(GLOB WSUP_CHAOS_SCENARIOS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}/scenarios
     CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/[0-9][0-9]-*.sh)
list(TRANSFORM WSUP_CHAOS_SCENARIOS REPLACE "\\.sh$" "")

foreach(scenario IN LISTS WSUP_CHAOS_SCENARIOS)
  add_test(NAME chaos_${scenario}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/${scenario}.sh)
  set_tests_properties(chaos_${scenario} PROPERTIES
    LABELS chaos RUN_SERIAL TRUE TIMEOUT 180
    ENVIRONMENT "WSUP=$<TARGET_FILE:wsup>;WSUP_WORKER=$<TARGET_FILE:wsup-worker>;WSUP_WORKER_FAULTS=$<TARGET_FILE:wsup-worker-faults>;WSUP_LOADGEN=$<TARGET_FILE:wsup-loadgen>;WSUP_PROBE=$<TARGET_FILE:wsup-chaos-probe>;CHAOS_MODE=short")
endforeach()

# Every scenario and the shared library at least parse (bash -n): cheap, and catches a broken
# script in CI even while the scenario itself cannot run yet.
add_test(NAME chaos_scenarios_parse
         COMMAND bash -c "for f in \"$0\"/lib.sh \"$0\"/scenarios/*.sh \"$1\"; do bash -n \"$f\" || exit 1; done"
                 ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/scripts/chaos)
set_tests_properties(chaos_scenarios_parse PROPERTIES LABELS unit)
