# The chaos scenarios as CTest tests (label chaos), short versions. Each runs the real binaries
# through bash; RUN_SERIAL because they measure latency and kill processes, and must not share
# the machine with other tests' load.
#
# Only scenarios that pass against what is built today are registered: a scenario whose
# prerequisite is missing fails loudly when run by hand (scripts/chaos N), it never skips into
# green. docs/RELIABILITY.md lists what each one waits for. -DWSUP_CHAOS_ALL=ON registers all 12.
option(WSUP_CHAOS_ALL "Register every chaos scenario with CTest, runnable yet or not" OFF)

set(WSUP_CHAOS_RUNNABLE
    01-kill-one-worker 02-kill-all-workers 03-restart-and-reload 05-memory-bomb 06-script-errors
    04-infinite-loop 08-malformed-requests 09-corrupt-response-ring 10-bad-configs
    11-supervisor-killed 12-isolation-and-permissions)
file(GLOB WSUP_CHAOS_ALL_SCENARIOS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}/scenarios
     CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/[0-9][0-9]-*.sh)
if(WSUP_CHAOS_ALL)
  set(WSUP_CHAOS_RUNNABLE ${WSUP_CHAOS_ALL_SCENARIOS})
  list(TRANSFORM WSUP_CHAOS_RUNNABLE REPLACE "\\.sh$" "")
endif()

foreach(scenario IN LISTS WSUP_CHAOS_RUNNABLE)
  add_test(NAME chaos_${scenario}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/${scenario}.sh)
  set_tests_properties(chaos_${scenario} PROPERTIES
    LABELS chaos RUN_SERIAL TRUE TIMEOUT 180
    ENVIRONMENT "WSUP=$<TARGET_FILE:wsup>;WSUP_WORKER=$<TARGET_FILE:wsup-worker>;WSUP_LOADGEN=$<TARGET_FILE:wsup-loadgen>;WSUP_PROBE=$<TARGET_FILE:wsup-chaos-probe>;CHAOS_MODE=short")
endforeach()

# Every scenario and the shared library at least parse (bash -n): cheap, and catches a broken
# script in CI even while the scenario itself cannot run yet.
add_test(NAME chaos_scenarios_parse
         COMMAND bash -c "for f in \"$0\"/lib.sh \"$0\"/scenarios/*.sh \"$1\"; do bash -n \"$f\" || exit 1; done"
                 ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/scripts/chaos)
set_tests_properties(chaos_scenarios_parse PROPERTIES LABELS unit)
