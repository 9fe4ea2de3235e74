// no_yield: the runtime side of greenring/no_yield.h. The scope is kept per
// green thread; note_yield (scheduler.cpp) is where a yield inside one is
// caught.
#include <greenring/no_yield.h>

#include "scheduler.hpp"

extern "C" void greenring_no_yield_enter(const char* file, int line, const char* func) {
  greenring::detail::Scheduler::current();
  greenring::detail::GreenProps* p = greenring::detail::current_props();
  if (!p) return;
  greenring::detail::open_scopes.fetch_add(1, std::memory_order_relaxed);
  if (p->no_yield_depth++ == 0) {
    p->scope_file = file;
    p->scope_line = line;
    p->scope_func = func;
  }
}

extern "C" void greenring_no_yield_leave(void) {
  greenring::detail::GreenProps* p = greenring::detail::current_props();
  if (p && p->no_yield_depth > 0) {
    --p->no_yield_depth;
    greenring::detail::open_scopes.fetch_sub(1, std::memory_order_relaxed);
  }
}
