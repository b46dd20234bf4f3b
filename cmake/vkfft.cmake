# cmake/vkfft.cmake -- INTERFACE target `subq_vkfft`: the patched VkFFT 1.2.26 header (Vulkan
# backend, calls through volk) plus the static glslang 12 / SPIRV-Tools link line VkFFT needs to
# compile its generated GLSL at run time.
#
# Usage (top-level CMakeLists.txt):
#   include(cmake/vkfft.cmake)            # optionally set SUBQ_VKFFT_PATCHED_DIR before
#   target_link_libraries(subq PRIVATE subq_vkfft)
#   # and compile /usr/include/volk.c (or equivalent) once into subq: the patched header only
#   # declares volk's vkXxx pointers (see third_party/vkfft/patch_vkfft.cmake).
#
# In C: `#include <vkFFT.h>` (resolves to the patched copy: the -isystem dir below is searched before
# /usr/include). VKFFT_BACKEND=0 comes with the target; do not define it again.
# Call glslang_initialize_process() once per process and set config.isCompilerInitialized = 1 (or
# leave it 0 and VkFFT initialises/finalises glslang around every initializeVkFFT call).

if(TARGET subq_vkfft)
  return()
endif()

if(NOT SUBQ_VKFFT_PATCHED_DIR)
  set(SUBQ_VKFFT_PATCHED_DIR "${CMAKE_BINARY_DIR}/third_party/vkfft/include")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/../third_party/vkfft/patch_vkfft.cmake")

find_path(SUBQ_VOLK_INCLUDE_DIR NAMES volk.h DOC "volk header (Debian: libvulkan-volk-dev)")
find_path(SUBQ_GLSLANG_INCLUDE_DIR NAMES glslang/Public/resource_limits_c.h
  DOC "glslang >= 12 headers (Debian: glslang-dev)")
if(NOT SUBQ_VOLK_INCLUDE_DIR)
  message(FATAL_ERROR "subq: volk.h not found (install libvulkan-volk-dev)")
endif()
if(NOT SUBQ_GLSLANG_INCLUDE_DIR)
  message(FATAL_ERROR "subq: glslang/Public/resource_limits_c.h not found (install glslang-dev >= 12)")
endif()

# Static libraries, in link order (static archives: dependents first).
set(_subq_glslang_libs
  glslang MachineIndependent OSDependent GenericCodeGen OGLCompiler SPIRV
  SPIRV-Tools-opt SPIRV-Tools glslang-default-resource-limits)
set(_subq_glslang_paths)
foreach(_lib IN LISTS _subq_glslang_libs)
  string(MAKE_C_IDENTIFIER "SUBQ_LIB_${_lib}" _var)
  find_library(${_var} NAMES "${CMAKE_STATIC_LIBRARY_PREFIX}${_lib}${CMAKE_STATIC_LIBRARY_SUFFIX}"
    DOC "static ${_lib} (VkFFT run-time GLSL compiler)")
  if(NOT ${_var})
    message(FATAL_ERROR "subq: static library ${_lib} not found (install glslang-dev and spirv-tools)")
  endif()
  list(APPEND _subq_glslang_paths "${${_var}}")
endforeach()

add_library(subq_vkfft INTERFACE)
target_include_directories(subq_vkfft SYSTEM INTERFACE
  "${SUBQ_VKFFT_INCLUDE_DIR}" "${SUBQ_VOLK_INCLUDE_DIR}" "${SUBQ_GLSLANG_INCLUDE_DIR}")
target_compile_definitions(subq_vkfft INTERFACE VKFFT_BACKEND=0)
# Without volk.h's prototypes-as-pointers, GCC 12 would silently implicit-declare vkXxx in C.
target_compile_options(subq_vkfft INTERFACE
  "$<$<AND:$<COMPILE_LANGUAGE:C>,$<C_COMPILER_ID:GNU,Clang,AppleClang>>:-Werror=implicit-function-declaration>")
target_link_libraries(subq_vkfft INTERFACE ${_subq_glslang_paths} stdc++ m dl pthread)

unset(_lib)
unset(_var)
unset(_subq_glslang_libs)
unset(_subq_glslang_paths)
