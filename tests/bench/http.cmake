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

# Group commit (issue 12): `cmake --build . --target bench_group_commit` — two
# servers on one PostgreSQL vs pgbench, SQLite FULL vs its hand-written
# baseline (bench_sqlite --baseline-full), one client vs release 1.0.
if(TARGET allocation-server AND TARGET bench_sqlite)
  add_custom_target(bench_group_commit
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bench_group_commit.sh ${PROJECT_BINARY_DIR}
    DEPENDS allocation-server bench_sqlite
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    USES_TERMINAL
    COMMENT "group commit: flash sale over HTTP on PostgreSQL and SQLite, one client's latency")
endif()
