# PostgreSQL benchmark (issue 4): bench_pg measures allocations/s on
# liballocation-pg; bench_pg.sh starts a throwaway server, runs pgbench
# simple-update at -c1 and -c4 and bench_pg on it, and prints the ratios.
#   cmake --build build --target bench-pg
if(TARGET allocation-pg)
  pkg_check_modules(LIBPQ_BENCH IMPORTED_TARGET libpq)
  add_executable(bench_pg bench_pg.c)
  target_link_libraries(bench_pg PRIVATE allocation allocation-pg PkgConfig::LIBPQ_BENCH
                        Threads::Threads)
  la_target_warnings(bench_pg)
  add_custom_target(bench-pg
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_pg.sh $<TARGET_FILE:bench_pg>
    DEPENDS bench_pg USES_TERMINAL
    COMMENT "PostgreSQL benchmark: liballocation-pg against pgbench simple-update")
endif()
