# Helpers shared by the core and every adapter library, so each one is built
# the same way: SONAME, hidden visibility, a version script, warnings, install
# rules, a pkg-config file and an entry in the exported CMake package.

# Warning flags for every target of the project.
function(la_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
                                           -Wmissing-prototypes -Wno-unused-parameter)
  if(ALLOCATION_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ALLOCATION_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# la_add_library(<target> EXPORT_NAME <name> NODE <VERSION_NODE> PC <pc-name>
#                SOURCES ... [PC_REQUIRES "..."])
# Builds lib<target>.so.1 exporting only la_* symbols under version node NODE.
function(la_add_library target)
  cmake_parse_arguments(ARG "" "EXPORT_NAME;NODE;PC;PC_REQUIRES;PC_REQUIRES_PRIVATE;DESCRIPTION" "SOURCES" ${ARGN})
  add_library(${target} SHARED ${ARG_SOURCES})
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}.vers)
  file(WRITE ${script} "${ARG_NODE} {\n  global:\n    la_*;\n  local:\n    *;\n};\n")
  set_target_properties(${target} PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${ALLOCATION_SOVERSION}
    EXPORT_NAME ${ARG_EXPORT_NAME}
    C_VISIBILITY_PRESET hidden
    LINK_DEPENDS ${script})
  target_link_options(${target} PRIVATE "LINKER:--version-script=${script}" "LINKER:--no-undefined")
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  la_target_warnings(${target})
  # lib/util, linked into every library of the project (never installed).
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:allocation_util>)
  add_library(allocation::${ARG_EXPORT_NAME} ALIAS ${target})
  install(TARGETS ${target} EXPORT allocationTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

  # Relocatable .pc files: the prefix is found from the file's own place, so
  # `cmake --install --prefix DIR` works without reconfiguring.
  file(RELATIVE_PATH pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(CMAKE_INSTALL_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(PC_NAME ${ARG_PC})
  set(PC_LIB ${target})
  set(PC_DESCRIPTION "${ARG_DESCRIPTION}")
  set(PC_REQUIRES "${ARG_PC_REQUIRES}")
  set(PC_REQUIRES_PRIVATE "${ARG_PC_REQUIRES_PRIVATE}")
  configure_file(${PROJECT_SOURCE_DIR}/pkgconfig/${ARG_PC}.pc.in
                 ${PROJECT_BINARY_DIR}/pkgconfig/${ARG_PC}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${ARG_PC}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
