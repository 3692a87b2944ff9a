# clcam report in headless Chromium (SKIP, exit 77, when chromium or h5py is absent).
# Included from tests/scripts.cmake, after the clcam target and clcam_add_test (CMakeLists.txt).
clcam_add_test(report_chromium /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam>)
set_tests_properties(report_chromium PROPERTIES TIMEOUT 300)
# The checks must catch a deleted picture and a rewritten accuracy (exit 0 = caught).
clcam_add_test(report_chromium_detects_missing_png /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam> --break png)
clcam_add_test(report_chromium_detects_wrong_accuracy /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam> --break accuracy)
clcam_add_test(report_chromium_detects_wrong_metric /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_chromium.py $<TARGET_FILE:clcam> --break metrics)
set_tests_properties(report_chromium_detects_missing_png report_chromium_detects_wrong_accuracy
  report_chromium_detects_wrong_metric PROPERTIES TIMEOUT 300)
# Many classes: the most confused pairs instead of the matrix, a sortable per-class table.
clcam_add_test(report_many_classes /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/report_many_classes.py $<TARGET_FILE:clcam>)
set_tests_properties(report_many_classes PROPERTIES TIMEOUT 300)
