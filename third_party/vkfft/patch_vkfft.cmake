# patch_vkfft.cmake -- configure-time copy of VkFFT 1.2.26 (Debian libvkfft-dev) with the fixes subq
# needs. Run with include() from CMake code (not in script mode: it uses find_path and
# CMAKE_CONFIGURE_DEPENDS).
#
# Inputs
#   SUBQ_VKFFT_PATCHED_DIR   (required) directory that receives the patched vkFFT.h
#   SUBQ_VKFFT_SOURCE_HEADER (optional) path of the pristine vkFFT.h; default: find_path(vkFFT.h)
# Outputs (normal variables in the including scope)
#   SUBQ_VKFFT_INCLUDE_DIR   = SUBQ_VKFFT_PATCHED_DIR  (put it on the include path, before /usr/include)
#   SUBQ_VKFFT_PATCHED_HEADER = ${SUBQ_VKFFT_PATCHED_DIR}/vkFFT.h
#
# Edits (each must apply exactly the expected number of times, or configure stops with FATAL_ERROR):
#   1. `VkCommandBuffer commandBuffer = {};` -> `= VK_NULL_HANDLE;`                       (3 times)
#      Empty initialiser braces are not C (C11/C17); they only compile as C++ / C23.
#   2. The two hand-written `const glslang_resource_t default_resource = { ... } };` blocks
#      (glslang 11 layout, wrong for glslang 12 which added fields) ->
#      `const glslang_resource_t default_resource = *glslang_default_resource();`         (2 times)
#      and `#include <glslang/Public/resource_limits_c.h>` added after the glslang C interface
#      include (1 time). Needs libglslang-default-resource-limits.a on the link line.
#   3. `#include "vulkan/vulkan.h"` -> `#include <volk.h>`                                  (1 time)
#
# How VkFFT calls Vulkan, and why edit 3:
#   VkFFT (backend 0) calls Vulkan by plain global names -- vkCreateBuffer, vkAllocateMemory,
#   vkCreateShaderModule, vkCreateComputePipelines, vkCmdDispatch, vkCmdPipelineBarrier,
#   vkQueueSubmit, vkWaitForFences, vkGetPhysicalDeviceProperties, ... (35 entry points, no
#   vkGet*ProcAddr of its own). With the shipped `#include "vulkan/vulkan.h"` these resolve to
#   libvulkan's exported prototypes, i.e. a link-time dependency on libvulkan.so, which subq avoids.
#   volk.h defines VK_NO_PROTOTYPES, includes vulkan/vulkan.h itself and declares
#   `extern PFN_vkXxx vkXxx;` global function pointers with the same names, so including volk.h
#   instead makes every VkFFT call go through volk's pointers with no further edits.
#   Consequences for the runtime:
#     - volk.c must be compiled exactly once into the program (subq does that); the patched
#       header only declares the pointers.
#     - Do NOT define VOLK_NO_DEVICE_PROTOTYPES in translation units that include vkFFT.h (the
#       device-level globals would vanish and VkFFT would not compile).
#     - The globals must be loaded before initializeVkFFT/VkFFTAppend: volkInitialize() +
#       volkLoadInstance(instance) is enough (device functions then go through the loader's
#       trampolines and work for every VkDevice). volkLoadDevice(dev) points the globals at ONE
#       device's driver: fine with one device, wrong with several devices from different drivers.
#       subq's own hot path may still use volkLoadDeviceTable().
#     - If vulkan/vulkan.h gets included before vkFFT.h without VK_NO_PROTOTYPES, volk.h stops
#       with "#error To use volk, you need to define VK_NO_PROTOTYPES before including vulkan.h".
#       If volk.h were missing altogether, GCC 12 would only *warn* about implicit declarations of
#       vkXxx (hence -Werror=implicit-function-declaration in cmake/vkfft.cmake).
#
# The copy is rewritten only when its content changes (no spurious rebuilds), and configure re-runs
# when the pristine header or this script changes.

# (No cmake_minimum_required here: in an include()d file it would reset the includer's policies.)
if(CMAKE_VERSION VERSION_LESS 3.21)
  message(FATAL_ERROR "patch_vkfft.cmake needs CMake >= 3.21 (file(COPY_FILE ... ONLY_IF_DIFFERENT))")
endif()

if(NOT DEFINED SUBQ_VKFFT_PATCHED_DIR OR SUBQ_VKFFT_PATCHED_DIR STREQUAL "")
  message(FATAL_ERROR "patch_vkfft.cmake: set SUBQ_VKFFT_PATCHED_DIR (output directory) before include()")
endif()

if(NOT SUBQ_VKFFT_SOURCE_HEADER)
  find_path(SUBQ_VKFFT_ORIG_INCLUDE_DIR NAMES vkFFT.h
    DOC "Directory holding the pristine VkFFT 1.2.26 header (Debian: libvkfft-dev)")
  if(NOT SUBQ_VKFFT_ORIG_INCLUDE_DIR)
    message(FATAL_ERROR "patch_vkfft.cmake: vkFFT.h not found (install libvkfft-dev, or set "
                        "SUBQ_VKFFT_ORIG_INCLUDE_DIR / SUBQ_VKFFT_SOURCE_HEADER)")
  endif()
  set(SUBQ_VKFFT_SOURCE_HEADER "${SUBQ_VKFFT_ORIG_INCLUDE_DIR}/vkFFT.h")
endif()
if(NOT EXISTS "${SUBQ_VKFFT_SOURCE_HEADER}")
  message(FATAL_ERROR "patch_vkfft.cmake: ${SUBQ_VKFFT_SOURCE_HEADER} does not exist")
endif()
get_filename_component(_subq_vkfft_out_dir "${SUBQ_VKFFT_PATCHED_DIR}" ABSOLUTE
  BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
if(_subq_vkfft_out_dir STREQUAL SUBQ_VKFFT_ORIG_INCLUDE_DIR)
  message(FATAL_ERROR "patch_vkfft.cmake: SUBQ_VKFFT_PATCHED_DIR must not be the pristine header's directory")
endif()

set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${SUBQ_VKFFT_SOURCE_HEADER}" "${CMAKE_CURRENT_LIST_FILE}")

file(READ "${SUBQ_VKFFT_SOURCE_HEADER}" _subq_vkfft_src)
file(SHA256 "${SUBQ_VKFFT_SOURCE_HEADER}" _subq_vkfft_sha)
set(_subq_vkfft_known_sha "4612d4fae8e0c5d51a4273ae5b6631ad12043f85a3ca525fafd038851197a98c") # 1.2.26+ds1-1

function(_subq_vkfft_fail what)
  message(FATAL_ERROR
    "patch_vkfft.cmake: cannot patch ${SUBQ_VKFFT_SOURCE_HEADER}: ${what}\n"
    "subq pins VkFFT 1.2.26 (third_party/vkfft/VERSION; SHA256 of Debian 1.2.26+ds1-1's vkFFT.h: "
    "${_subq_vkfft_known_sha}, this one: ${_subq_vkfft_sha}). Another VkFFT version needs these "
    "edits re-checked by hand.")
endfunction()

# Count of non-overlapping occurrences of `needle` in `hay` (hay passed by variable name).
function(_subq_vkfft_count out hay_var needle)
  string(LENGTH "${${hay_var}}" _len_all)
  string(REPLACE "${needle}" "" _stripped "${${hay_var}}")
  string(LENGTH "${_stripped}" _len_stripped)
  string(LENGTH "${needle}" _len_needle)
  math(EXPR _n "(${_len_all} - ${_len_stripped}) / ${_len_needle}")
  set(${out} ${_n} PARENT_SCOPE)
endfunction()

# Replace `old` by `new` in the variable named `var`; `old` must occur exactly `expected` times.
# Optional 5th argument: how to name `old` in the error message (default: `old` itself).
function(_subq_vkfft_replace var old new expected)
  _subq_vkfft_count(_n ${var} "${old}")
  if(NOT _n EQUAL expected)
    set(_what "${old}")
    if(ARGC GREATER 4)
      set(_what "${ARGV4}")
    endif()
    _subq_vkfft_fail("expected ${expected} occurrence(s) of\n  ${_what}\nfound ${_n}")
  endif()
  string(REPLACE "${old}" "${new}" _tmp "${${var}}")
  set(${var} "${_tmp}" PARENT_SCOPE)
endfunction()

# 0. Version guard: the edits below are written against 1.2.26.
_subq_vkfft_count(_subq_vkfft_n _subq_vkfft_src "return 10226; //X.XX.XX format")
if(NOT _subq_vkfft_n EQUAL 1)
  _subq_vkfft_fail("VkFFTGetVersion() does not return 10226 (not VkFFT 1.2.26)")
endif()

# 1. C-incompatible empty initialisers.
_subq_vkfft_replace(_subq_vkfft_src
  "VkCommandBuffer commandBuffer = {};"
  "VkCommandBuffer commandBuffer = VK_NULL_HANDLE; /* subq: was {} */"
  3)

# 2a. Resource-limits header next to the glslang C interface include (backend 0 branch only).
_subq_vkfft_replace(_subq_vkfft_src
  "#include <glslang/Include/glslang_c_interface.h>\n"
  "#include <glslang/Include/glslang_c_interface.h>\n#include <glslang/Public/resource_limits_c.h> /* subq */\n"
  1)

# 2b. The hand-written glslang_resource_t initialiser (two identical copies, ~120 lines each, from
#     `const glslang_resource_t default_resource = {` to the closing `} };`). Both copies must be
#     byte-identical and contain the first and last field names we expect.
set(_subq_vkfft_res_begin "const glslang_resource_t default_resource = {")
set(_subq_vkfft_res_end "} };")
string(FIND "${_subq_vkfft_src}" "${_subq_vkfft_res_begin}" _subq_vkfft_pos)
if(_subq_vkfft_pos EQUAL -1)
  _subq_vkfft_fail("glslang_resource_t initialiser not found")
endif()
string(SUBSTRING "${_subq_vkfft_src}" ${_subq_vkfft_pos} 20000 _subq_vkfft_tail)
string(FIND "${_subq_vkfft_tail}" "${_subq_vkfft_res_end}" _subq_vkfft_endpos)
if(_subq_vkfft_endpos EQUAL -1)
  _subq_vkfft_fail("end `} };` of the glslang_resource_t initialiser not found")
endif()
string(LENGTH "${_subq_vkfft_res_end}" _subq_vkfft_n)
math(EXPR _subq_vkfft_endpos "${_subq_vkfft_endpos} + ${_subq_vkfft_n}")
string(SUBSTRING "${_subq_vkfft_tail}" 0 ${_subq_vkfft_endpos} _subq_vkfft_block)
unset(_subq_vkfft_tail)
foreach(_subq_vkfft_field "/* .MaxLights = */ 32," "/* .maxDualSourceDrawBuffersEXT = */ 1,"
                          "/* .generalConstantMatrixVectorIndexing = */ 1,")
  string(FIND "${_subq_vkfft_block}" "${_subq_vkfft_field}" _subq_vkfft_n)
  if(_subq_vkfft_n EQUAL -1)
    _subq_vkfft_fail("glslang_resource_t initialiser lacks `${_subq_vkfft_field}`")
  endif()
endforeach()
_subq_vkfft_replace(_subq_vkfft_src "${_subq_vkfft_block}"
  "const glslang_resource_t default_resource = *glslang_default_resource(); /* subq: glslang 12 layout */"
  2 "the hand-written glslang_resource_t initialiser (both copies identical to the first one)")
_subq_vkfft_count(_subq_vkfft_n _subq_vkfft_src "glslang_resource_t default_resource = {")
if(NOT _subq_vkfft_n EQUAL 0)
  _subq_vkfft_fail("a glslang_resource_t initialiser differing from the first one is left")
endif()

# 3. Vulkan through volk's function pointers instead of libvulkan's prototypes.
_subq_vkfft_replace(_subq_vkfft_src
  "#include \"vulkan/vulkan.h\"\n"
  "#include <volk.h> /* subq: was \"vulkan/vulkan.h\"; VkFFT calls volk's vkXxx pointers */\n"
  1)

# Write (only if changed).
set(_subq_vkfft_banner
"/* GENERATED by subq third_party/vkfft/patch_vkfft.cmake from\n   ${SUBQ_VKFFT_SOURCE_HEADER}\n   (SHA256 ${_subq_vkfft_sha}). Do not edit: edit the patch script. */\n")
file(MAKE_DIRECTORY "${_subq_vkfft_out_dir}")
file(WRITE "${_subq_vkfft_out_dir}/vkFFT.h.tmp" "${_subq_vkfft_banner}${_subq_vkfft_src}")
file(COPY_FILE "${_subq_vkfft_out_dir}/vkFFT.h.tmp" "${_subq_vkfft_out_dir}/vkFFT.h" ONLY_IF_DIFFERENT)
file(REMOVE "${_subq_vkfft_out_dir}/vkFFT.h.tmp")

if(NOT _subq_vkfft_sha STREQUAL _subq_vkfft_known_sha)
  message(STATUS "subq: vkFFT.h differs from Debian 1.2.26+ds1-1's, but all edits applied")
endif()
set(SUBQ_VKFFT_INCLUDE_DIR "${_subq_vkfft_out_dir}")
set(SUBQ_VKFFT_PATCHED_HEADER "${_subq_vkfft_out_dir}/vkFFT.h")
message(STATUS "subq: patched VkFFT 1.2.26 header -> ${SUBQ_VKFFT_PATCHED_HEADER}")

unset(_subq_vkfft_src)
unset(_subq_vkfft_block)
unset(_subq_vkfft_banner)
unset(_subq_vkfft_n)
unset(_subq_vkfft_pos)
unset(_subq_vkfft_endpos)
unset(_subq_vkfft_field)
unset(_subq_vkfft_out_dir)
