# la_example_store_url: opening a store from a database URL, and showing
# times (utc_time.c), shared by the example programs (CLI, server). Include this file from any example's
# CMakeLists.txt; the target is defined once and links whichever adapters
# this build has.
include_guard(GLOBAL)
if(TARGET la_example_store_url)
  return()
endif()

add_library(la_example_store_url STATIC ${CMAKE_CURRENT_LIST_DIR}/store_url.c
            ${CMAKE_CURRENT_LIST_DIR}/utc_time.c)
target_include_directories(la_example_store_url PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(la_example_store_url PUBLIC allocation)
la_target_warnings(la_example_store_url)
foreach(adapter sqlite pg csv)
  if(TARGET allocation-${adapter})
    string(TOUPPER ${adapter} upper)
    target_compile_definitions(la_example_store_url PRIVATE LA_EXAMPLE_HAVE_${upper})
    target_link_libraries(la_example_store_url PUBLIC allocation-${adapter})
  endif()
endforeach()
