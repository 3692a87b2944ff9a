#include "error_names.h"

#include <stddef.h>

#define NAME(c, s) case c: return s

const char *cl_error_name(int code)
{
    switch (code) {
    NAME(0, "CL_SUCCESS");
    NAME(-1, "CL_DEVICE_NOT_FOUND");
    NAME(-2, "CL_DEVICE_NOT_AVAILABLE");
    NAME(-3, "CL_COMPILER_NOT_AVAILABLE");
    NAME(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE");
    NAME(-5, "CL_OUT_OF_RESOURCES");
    NAME(-6, "CL_OUT_OF_HOST_MEMORY");
    NAME(-7, "CL_PROFILING_INFO_NOT_AVAILABLE");
    NAME(-8, "CL_MEM_COPY_OVERLAP");
    NAME(-9, "CL_IMAGE_FORMAT_MISMATCH");
    NAME(-10, "CL_IMAGE_FORMAT_NOT_SUPPORTED");
    NAME(-11, "CL_BUILD_PROGRAM_FAILURE");
    NAME(-12, "CL_MAP_FAILURE");
    NAME(-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET");
    NAME(-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST");
    NAME(-15, "CL_COMPILE_PROGRAM_FAILURE");
    NAME(-16, "CL_LINKER_NOT_AVAILABLE");
    NAME(-17, "CL_LINK_PROGRAM_FAILURE");
    NAME(-18, "CL_DEVICE_PARTITION_FAILED");
    NAME(-19, "CL_KERNEL_ARG_INFO_NOT_AVAILABLE");
    NAME(-30, "CL_INVALID_VALUE");
    NAME(-31, "CL_INVALID_DEVICE_TYPE");
    NAME(-32, "CL_INVALID_PLATFORM");
    NAME(-33, "CL_INVALID_DEVICE");
    NAME(-34, "CL_INVALID_CONTEXT");
    NAME(-35, "CL_INVALID_QUEUE_PROPERTIES");
    NAME(-36, "CL_INVALID_COMMAND_QUEUE");
    NAME(-37, "CL_INVALID_HOST_PTR");
    NAME(-38, "CL_INVALID_MEM_OBJECT");
    NAME(-39, "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR");
    NAME(-40, "CL_INVALID_IMAGE_SIZE");
    NAME(-41, "CL_INVALID_SAMPLER");
    NAME(-42, "CL_INVALID_BINARY");
    NAME(-43, "CL_INVALID_BUILD_OPTIONS");
    NAME(-44, "CL_INVALID_PROGRAM");
    NAME(-45, "CL_INVALID_PROGRAM_EXECUTABLE");
    NAME(-46, "CL_INVALID_KERNEL_NAME");
    NAME(-47, "CL_INVALID_KERNEL_DEFINITION");
    NAME(-48, "CL_INVALID_KERNEL");
    NAME(-49, "CL_INVALID_ARG_INDEX");
    NAME(-50, "CL_INVALID_ARG_VALUE");
    NAME(-51, "CL_INVALID_ARG_SIZE");
    NAME(-52, "CL_INVALID_KERNEL_ARGS");
    NAME(-53, "CL_INVALID_WORK_DIMENSION");
    NAME(-54, "CL_INVALID_WORK_GROUP_SIZE");
    NAME(-55, "CL_INVALID_WORK_ITEM_SIZE");
    NAME(-56, "CL_INVALID_GLOBAL_OFFSET");
    NAME(-57, "CL_INVALID_EVENT_WAIT_LIST");
    NAME(-58, "CL_INVALID_EVENT");
    NAME(-59, "CL_INVALID_OPERATION");
    NAME(-60, "CL_INVALID_GL_OBJECT");
    NAME(-61, "CL_INVALID_BUFFER_SIZE");
    NAME(-62, "CL_INVALID_MIP_LEVEL");
    NAME(-63, "CL_INVALID_GLOBAL_WORK_SIZE");
    NAME(-64, "CL_INVALID_PROPERTY");
    NAME(-65, "CL_INVALID_IMAGE_DESCRIPTOR");
    NAME(-66, "CL_INVALID_COMPILER_OPTIONS");
    NAME(-67, "CL_INVALID_LINKER_OPTIONS");
    NAME(-68, "CL_INVALID_DEVICE_PARTITION_COUNT");
    NAME(-1001, "CL_PLATFORM_NOT_FOUND_KHR");
    }
    return "unknown OpenCL error";
}

const char *clblast_status_name(int code)
{
    if (code > -1000) return cl_error_name(code); /* shared with OpenCL */
    switch (code) {
    NAME(-1024, "kNotImplemented");
    NAME(-1022, "kInvalidMatrixA");
    NAME(-1021, "kInvalidMatrixB");
    NAME(-1020, "kInvalidMatrixC");
    NAME(-1019, "kInvalidVectorX");
    NAME(-1018, "kInvalidVectorY");
    NAME(-1017, "kInvalidDimension");
    NAME(-1016, "kInvalidLeadDimA");
    NAME(-1015, "kInvalidLeadDimB");
    NAME(-1014, "kInvalidLeadDimC");
    NAME(-1013, "kInvalidIncrementX");
    NAME(-1012, "kInvalidIncrementY");
    NAME(-1011, "kInsufficientMemoryA");
    NAME(-1010, "kInsufficientMemoryB");
    NAME(-1009, "kInsufficientMemoryC");
    NAME(-1008, "kInsufficientMemoryX");
    NAME(-1007, "kInsufficientMemoryY");
    NAME(-2050, "kInsufficientMemoryTemp");
    NAME(-2049, "kInvalidBatchCount");
    NAME(-2048, "kInvalidOverrideKernel");
    NAME(-2047, "kMissingOverrideParameter");
    NAME(-2046, "kInvalidLocalMemUsage");
    NAME(-2045, "kNoHalfPrecision");
    NAME(-2044, "kNoDoublePrecision");
    NAME(-2043, "kInvalidVectorScalar");
    NAME(-2042, "kInsufficientMemoryScalar");
    NAME(-2041, "kDatabaseError");
    NAME(-2040, "kUnknownError");
    NAME(-2039, "kUnexpectedError");
    }
    return "unknown CLBlast status";
}
