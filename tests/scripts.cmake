# Tests that are scripts rather than C programs. Each prints SKIP and exits 77 when what it
# needs (PyTorch, Chromium, Jupyter, ../shared) is absent; CI installs all of it.
add_test(NAME torch_oracle_can_fail COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> oracle)
add_test(NAME torch_random COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> random)
add_test(NAME torch_shared COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> shared)
set_tests_properties(torch_oracle_can_fail torch_random torch_shared PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS torch)
set_tests_properties(torch_shared PROPERTIES LABELS "torch;shared")

include(${CMAKE_CURRENT_SOURCE_DIR}/tests/report.cmake)
include(${CMAKE_CURRENT_SOURCE_DIR}/tests/notebook.cmake OPTIONAL)

# Grad-CAM at earlier layers (through the convolutions' backward pass), and a VGG-style model
# with batch norm described by model.layers, both against PyTorch.
add_test(NAME torch_layers COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> layers)
add_test(NAME torch_vgg COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_vgg.py
  $<TARGET_FILE:clcam>)
set_tests_properties(torch_layers torch_vgg PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS torch)

# Grad-CAM++ at conv3 within PyTorch's own float32 error of a float64 reference: random weights,
# and ../shared's SimpleCNN on the first 200 CIFAR-10 test images.
add_test(NAME torch_precision COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> precision)
add_test(NAME torch_precision_shared COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> precision_shared)
set_tests_properties(torch_precision torch_precision_shared PROPERTIES SKIP_RETURN_CODE 77
  TIMEOUT 900 LABELS torch)
set_tests_properties(torch_precision_shared PROPERTIES LABELS "torch;shared")

# The bad-input corpus: broken files, configs and limits, each with its exit code and message.
add_test(NAME bad_inputs COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/bad_inputs.py
  $<TARGET_FILE:clcam>)
set_tests_properties(bad_inputs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)

# Training against PyTorch: two SGD steps (Nesterov, weight decay) from the same weights on the
# same batch, for a VGG-style network without batch norm and, with ../shared, SimpleCNN.
add_test(NAME torch_train_step COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_train_step.py
  $<TARGET_FILE:clcam>)
set_tests_properties(torch_train_step PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS "torch;shared")

# clcam tune: the tuning file is written, loaded by later commands, and ignored when broken.
add_test(NAME tune COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/tune_test.sh $<TARGET_FILE:clcam>)
set_tests_properties(tune PROPERTIES TIMEOUT 600)
