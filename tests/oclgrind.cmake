# clcam selftest on oclgrind's simulated device (SKIP, exit 77, when oclgrind is absent; CI
# installs it through scripts/deps.sh --tests). The second test proves the first can fail.
# Included from CMakeLists.txt after the clcam target, in builds without sanitizers.
add_test(NAME oclgrind_selftest
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/oclgrind_selftest.sh $<TARGET_FILE:clcam> check)
add_test(NAME oclgrind_detects_faults
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/oclgrind_selftest.sh $<TARGET_FILE:clcam> detects)
set_tests_properties(oclgrind_selftest oclgrind_detects_faults PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS oclgrind)
