# The Redis benchmark (included by tests/bench/CMakeLists.txt): round-trip
# latency change_batch_quantity -> line_allocated and relay throughput.
# `bench_redis.sh path/to/bench_redis` starts a throwaway redis-server and runs
# it in both modes over SQLite (and over a throwaway PostgreSQL with --pg);
# so does the target bench-redis. Never a ctest test.
if(TARGET allocation-redis AND TARGET allocation-sqlite)
  pkg_check_modules(BENCH_HIREDIS IMPORTED_TARGET hiredis)
  add_executable(bench_redis bench_redis.c)
  target_link_libraries(bench_redis PRIVATE allocation allocation-redis allocation-sqlite
                        PkgConfig::BENCH_HIREDIS Threads::Threads)
  la_target_warnings(bench_redis)
  if(TARGET allocation-pg)
    target_link_libraries(bench_redis PRIVATE allocation-pg)
    target_compile_definitions(bench_redis PRIVATE BENCH_WITH_PG)
  endif()
  add_custom_target(bench-redis
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bench_redis.sh $<TARGET_FILE:bench_redis>
    DEPENDS bench_redis
    USES_TERMINAL
    COMMENT "Redis: round-trip latency and relay throughput")
endif()
