# Tests that are scripts rather than C programs. Each prints SKIP and exits 77 when what it
# needs (PyTorch, Chromium, Jupyter, ../shared) is absent; CI installs all of it, and under CI
# (CI=true) tests/run_test.sh turns a skip into a failure.
clcam_add_test(torch_oracle_can_fail bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> oracle)
clcam_add_test(torch_random bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> random)
clcam_add_test(torch_shared bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> shared)
set_tests_properties(torch_oracle_can_fail torch_random torch_shared PROPERTIES TIMEOUT 900 LABELS torch)
set_tests_properties(torch_shared PROPERTIES LABELS "torch;shared")

include(${CMAKE_CURRENT_SOURCE_DIR}/tests/report.cmake)
include(${CMAKE_CURRENT_SOURCE_DIR}/tests/notebook.cmake)

# Grad-CAM at earlier layers (through the convolutions' backward pass), and a VGG-style model
# with batch norm described by model.layers, both against PyTorch.
clcam_add_test(torch_layers bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> layers)
clcam_add_test(torch_vgg /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_vgg.py
  $<TARGET_FILE:clcam>)
# A MobileNet-style net (depthwise and grouped convs, ReLU6, padded pools, a batchnorm on its
# own, zero pads) exported by tools/export_torch.py, against PyTorch in float64.
clcam_add_test(torch_mobilenet /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_mobilenet.py
  $<TARGET_FILE:clcam>)
# A CIFAR-style ResNet (basic blocks, a 1x1 projection shortcut) as a graph in model.layers.
clcam_add_test(torch_graph /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_graph.py
  $<TARGET_FILE:clcam>)
# ONNX files from torch.onnx.export (model.onnx): a CIFAR ResNet, a MobileNetV2-style net, a
# DenseNet-style block and torchvision's resnet18 at 112x112, against PyTorch in float64.
clcam_add_test(torch_onnx /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_onnx.py
  $<TARGET_FILE:clcam>)
# The MobileNetV2-style net and the DenseNet-style block of torch_onnx through model.layers with
# inputs:, as tools/export_torch.py writes them from the modules' forward passes.
clcam_add_test(torch_graph_layers /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_onnx.py
  $<TARGET_FILE:clcam> --layers mobilenet densenet)
set_tests_properties(torch_layers torch_vgg torch_mobilenet torch_graph torch_onnx torch_graph_layers
  PROPERTIES TIMEOUT 900 LABELS torch)

# Grad-CAM++ at conv3 within PyTorch's own float32 error of a float64 reference: random weights,
# and ../shared's SimpleCNN on the first 200 CIFAR-10 test images.
clcam_add_test(torch_precision bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> precision)
clcam_add_test(torch_precision_shared bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_check.sh
  $<TARGET_FILE:clcam> precision_shared)
set_tests_properties(torch_precision torch_precision_shared PROPERTIES TIMEOUT 900 LABELS torch)
set_tests_properties(torch_precision_shared PROPERTIES LABELS "torch;shared")

# The bad-input corpus: broken files, configs and limits, each with its exit code and message.
clcam_add_test(bad_inputs /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/bad_inputs.py
  $<TARGET_FILE:clcam>)
set_tests_properties(bad_inputs PROPERTIES TIMEOUT 600)

# Training against PyTorch: two SGD steps (Nesterov, weight decay) from the same weights on the
# same batch, for a VGG-style network without batch norm and, with ../shared, SimpleCNN.
clcam_add_test(torch_train_step /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_train_step.py
  $<TARGET_FILE:clcam>)
set_tests_properties(torch_train_step PROPERTIES TIMEOUT 600 LABELS "torch;shared")

# clcam tune: the tuning file is written, loaded by later commands, and ignored when broken.
clcam_add_test(tune bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/tune_test.sh $<TARGET_FILE:clcam>)
set_tests_properties(tune PROPERTIES TIMEOUT 600)

# A plain nn.Sequential (layers named 0, 1, ...; nested 1.0, features.0.0) through
# tools/export_torch.py and `clcam run`, cam.layer by index, against PyTorch; and the tool's
# one-line message when torch or h5py is missing.
clcam_add_test(torch_sequential /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/torch_sequential.py
  $<TARGET_FILE:clcam>)
set_tests_properties(torch_sequential PROPERTIES TIMEOUT 600 LABELS torch)

# docs/file_formats.md and docs/config.md against the files clcam writes (import, run, train,
# a checkpoint, export_torch.py) and the keys of the effective config; fails on an
# undocumented dataset or key and on a documented one that no file has.
clcam_add_test(docs_check /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/docs_check.py
  $<TARGET_FILE:clcam>)
set_tests_properties(docs_check PROPERTIES TIMEOUT 600)

# test_onnx and test_onnx_names export their models with torch (tests/make_onnx_models.py); test_onnx_cases reads
# Debian's libonnx-testdata. Both are C programs, registered by the tests/test_*.c loop.
set_tests_properties(test_onnx test_onnx_names PROPERTIES LABELS torch)

# clcam import-images against torchvision's ImageFolder + Resize + CenterCrop on Pillow: every
# kind of JPEG and PNG, three size options, --list, splits, the bad inputs and --skip-bad.
clcam_add_test(import_images /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/import_images_check.py
  $<TARGET_FILE:clcam>)
set_tests_properties(import_images PROPERTIES TIMEOUT 600 LABELS torch)

# 224x224 through import-images, run (every method, three cam_dtypes) and report, against
# PyTorch on a random CNN for that size.
clcam_add_test(large_inputs /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/large_inputs.py
  $<TARGET_FILE:clcam>)
set_tests_properties(large_inputs PROPERTIES TIMEOUT 600 LABELS torch)

# The baselines random and sobel end to end on ../shared's CIFAR-10 images: sobel against an
# independent numpy/scipy cv2.Sobel (reflect-101), random against a Python copy of its hash and
# the same for a row whatever the batch.
clcam_add_test(baseline_check /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/baseline_check.py
  $<TARGET_FILE:clcam>)
set_tests_properties(baseline_check PROPERTIES TIMEOUT 300 LABELS shared)
# Faithfulness metrics (cam.metrics) against Python references on clcam's own maps:
# pytorch-grad-cam's formulas for confidence and ROAD (scipy's sparse solve), a PyTorch batch
# implementation of deletion and insertion.
clcam_add_test(metrics_check /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/metrics_check.py
  $<TARGET_FILE:clcam>)
set_tests_properties(metrics_check PROPERTIES TIMEOUT 900 LABELS "torch;shared")
# ROAD's imputation (op_metric_road) against pytorch-grad-cam's system solved by scipy's
# spsolve, noise off, within 1e-4; clcam's side is test_road --dump.
clcam_add_test(road_scipy /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/road_scipy.py
  $<TARGET_FILE:test_road>)
set_tests_properties(road_scipy PROPERTIES TIMEOUT 300 LABELS torch)

# ROAD's solver with work-groups of up to 256 items, the size GPUs get: a CPU device runs 16
# solves per work-item in vector lanes (cl/ops_road.c), so test_road alone would not run the
# group reductions (both runs also compare the lanes with one work-item per solve, bitwise).
clcam_add_test(test_road_groups $<TARGET_FILE:test_road>)
set_property(TEST test_road_groups APPEND PROPERTY ENVIRONMENT CLCAM_ROAD_WG=256)
# The tree's layers: base/ includes nothing above it, cl/ and io/ not each other nor pipeline/
# (`grep -rn 'pipeline/' cl io` finds nothing, comments included).
clcam_add_test(layering bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/layering.sh ${CMAKE_CURRENT_SOURCE_DIR})
# The direct convolution's run-time-geometry kernel on the shapes the fixed ones take
# (cl/conv.c picks a fixed kernel wherever one exists, so test_conv_methods alone would not),
# its work-items in groups of 2 channel blocks (the tests' small shapes take all in one group,
# so a last group short of blocks would go untested); Winograd in its chunked form only (on
# a CPU device the tests' shapes take the one-kernel form), one image a chunk.
clcam_add_test(test_conv_methods_generic $<TARGET_FILE:test_conv_methods>)
set_property(TEST test_conv_methods_generic APPEND PROPERTY ENVIRONMENT CLCAM_CONV_DIRECT_GENERIC=1
             CLCAM_DIRECT_GROUP=2 CLCAM_WINOGRAD_CHUNK_BYTES=1 CLCAM_WINOGRAD_FUSED=0)
# clcam run --shard I/K and clcam merge (virtual and --copy) against a one-process run, on a
# random dataset written by the test; bad merges (missing, incomplete, foreign, duplicate parts)
# exit 2 and write nothing.
clcam_add_test(shard_merge /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/shard_merge.py
  $<TARGET_FILE:clcam>)
set_tests_properties(shard_merge PROPERTIES TIMEOUT 120)
# mpirun -n K clcam run (K = 1 to 4, a rank with no rows, top-k float16) against a one-process
# run with h5diff; killed and resumed with another K, and by one process. Each mpirun has a
# timeout (a missed collective call hangs); as root it sets Open MPI's allow-root variables.
clcam_add_test(mpi_run /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/mpi_run.py
  $<TARGET_FILE:clcam>)
set_tests_properties(mpi_run PROPERTIES TIMEOUT 900)
