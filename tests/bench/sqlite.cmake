# SQLite benchmark (issue 3): bench_sqlite prints allocations/s through the
# bus on liballocation-sqlite (file, memory, outbox, durability=full) as
# ratios to a hand-written sqlite3 baseline, and the cost per allocation at
# 0 / 10,000 / 100,000 existing lines.  Run: build/tests/bench/bench_sqlite [DIR]
if(TARGET allocation-sqlite)
  add_executable(bench_sqlite bench_sqlite.c)
  target_link_libraries(bench_sqlite PRIVATE allocation allocation-sqlite PkgConfig::SQLITE3)
  la_target_warnings(bench_sqlite)
endif()
