# Every target in the tree compiles with these; warnings are errors so they cannot pile up.
add_compile_options(
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2 -Werror)
# -Wnull-dereference is left out: at -O3 it fires inside Boost.Asio's inlined scheduler code.
# GCC 12 reports false -Wrestrict errors inside std::string's operator+ at -O3 (GCC bug 105651).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-restrict)
endif()
