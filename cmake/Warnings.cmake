# Every target in the tree compiles with these; warnings are errors so they cannot pile up.
add_compile_options(
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wnull-dereference -Wformat=2 -Werror)
