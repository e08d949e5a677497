# HTTP benchmark (wrk against allocation-server): `cmake --build . --target bench_http`.
# Not a ctest test: it prints figures, it does not pass or fail on them.
if(TARGET allocation-server)
  add_custom_target(bench_http
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bench_http.sh $<TARGET_FILE:allocation-server>
    DEPENDS allocation-server
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    USES_TERMINAL
    COMMENT "wrk: POST /allocate and GET /allocations on SQLite and PostgreSQL")
endif()
