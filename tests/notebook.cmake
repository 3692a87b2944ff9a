# The notebook test: runs notebooks/explore_results.ipynb headlessly on synthetic results files.
# Skipped (exit 77) where jupyter-nbconvert, the python3 kernel or h5py/matplotlib are missing.
clcam_add_test(notebook bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/notebook_test.sh ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(notebook PROPERTIES TIMEOUT 900)
