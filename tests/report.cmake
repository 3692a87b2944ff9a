# clcam report in headless Chromium (SKIP, exit 77, when chromium or h5py is absent).
# Meant to be included from CMakeLists.txt (or tests/scripts.cmake) after the clcam target.
add_test(NAME report_chromium
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam>)
set_tests_properties(report_chromium PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
# The checks must catch a deleted picture and a rewritten accuracy (exit 0 = caught).
add_test(NAME report_chromium_detects_missing_png
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam> --break png)
add_test(NAME report_chromium_detects_wrong_accuracy
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam> --break accuracy)
set_tests_properties(report_chromium_detects_missing_png report_chromium_detects_wrong_accuracy
  PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
