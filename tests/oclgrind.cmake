# clcam selftest on oclgrind's simulated device (SKIP, exit 77, when oclgrind is absent; CI
# installs it through scripts/deps.sh --tests). The second test proves the first can fail.
# Included from CMakeLists.txt after the clcam target, in builds without sanitizers.
clcam_add_test(oclgrind_selftest
  bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/oclgrind_selftest.sh $<TARGET_FILE:clcam> check)
clcam_add_test(oclgrind_detects_faults
  bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/oclgrind_selftest.sh $<TARGET_FILE:clcam> detects)
set_tests_properties(oclgrind_selftest oclgrind_detects_faults PROPERTIES TIMEOUT 600 LABELS oclgrind)
