# Sanitizer options for the ASan + UBSan pass of scripts/test.sh and for scripts/fuzz.sh;
# sourced by both (not run). Usage: source scripts/sanitizers.sh ROOT
#
# intercept_tls_get_addr=0, and why leak checking loses nothing by it:
# ASan wraps __tls_get_addr to record each thread's dynamic TLS blocks (the thread-locals of
# libraries loaded at run time: the OpenCL driver and what it loads), and LeakSanitizer then
# scans those ranges for pointers. gcc 12's runtime does not know a block's size: a block that
# starts 16 bytes into a page is taken to follow a glibc 2.19 header {size, start} and read
# from there (later compiler-rt asks the allocator instead). glibc 2.36 takes dynamic TLS from
# malloc, so when a small block lands at that offset the "header" is ASan's own chunk header:
# LSan scans a nonsense range ("DTLS 9 at 0x75d-0x80000185f") and its tracer dies ("Tracer
# caught signal 11 ... LeakSanitizer has encountered a fatal error"). Where a block lands
# depends on every allocation before it, so on the CPU, kernel and driver: issue 12 saw it in
# test_conv_methods on every run on an AMD EPYC; on the Intel machine of the suite it passes,
# and crashes the same way (addr=0x760) once a preloaded library makes 5 small mallocs first.
# With the interception off no such ranges are recorded, and the driver's dynamic TLS is still
# found: glibc allocates those blocks from ld.so, and LSan counts every allocation made from
# ld.so as a root (lsan_common_linux.cpp, ProcessPlatformSpecificAllocations; on while use_tls
# and use_ld_allocations are, the defaults). Stacks, registers, static TLS, globals and the
# heap are scanned as before; tests/lsan_check.sh proves a lost allocation of clcam's is still
# reported. The other ways around the crash give up more: LSAN_OPTIONS=use_tls=0 also stops
# scanning static TLS and drops the ld.so roots, and detect_leaks=0 stops leak checking.
#
# Leak reports from the OpenCL driver's own allocations would not be ours: tests/lsan.supp
# suppresses those, for third-party libraries only.
_clcam_root="${1:?usage: source scripts/sanitizers.sh ROOT}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:intercept_tls_get_addr=0"
export LSAN_OPTIONS="suppressions=$_clcam_root/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
unset _clcam_root
