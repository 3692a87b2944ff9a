# The notebook test: runs notebooks/explore_results.ipynb headlessly on synthetic results files.
# Skipped (exit 77) where jupyter-nbconvert, the python3 kernel or h5py/matplotlib are missing.
add_test(NAME notebook COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/notebook_test.sh ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(notebook PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
