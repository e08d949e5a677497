# The Python binding's benchmark (included by tests/bench/CMakeLists.txt).
# A wrapper script in the build tree sets LA_LIBRARY_PATH to this build's
# core library, so `build/tests/bench/bench_python` runs it; so does the
# target bench-python. Never a ctest test: it prints figures.
set(ALLOCATION_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with pytest, for the binding's tests")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/bench_python
  CONTENT "#!/bin/sh\nLA_LIBRARY_PATH=\"$<TARGET_FILE_DIR:allocation>\" exec ${ALLOCATION_PYTHON} \"${CMAKE_CURRENT_SOURCE_DIR}/bench_python.py\" \"$@\"\n"
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                   WORLD_READ WORLD_EXECUTE)
add_custom_target(bench-python
  COMMAND ${CMAKE_CURRENT_BINARY_DIR}/bench_python
  DEPENDS allocation
  USES_TERMINAL
  COMMENT "Python binding: allocations/s on the in-memory store")
