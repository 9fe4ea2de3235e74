/* greenring no-yield scopes: mark code you believe never yields (never
 * blocks, so no other green thread can run in the middle of it). Under
 * greenring a yield inside a scope aborts the program, naming the scope and
 * the call that yielded: eventlet's invisible hazard made an error.
 * Without greenring (no runtime linked, no LD_PRELOAD) the calls are weak
 * references that resolve to nothing, and the scope costs one test. */
#ifndef GREENRING_NO_YIELD_H
#define GREENRING_NO_YIELD_H

#ifdef __cplusplus
extern "C" {
#endif

void greenring_no_yield_enter(const char* file, int line, const char* func) __attribute__((weak));
void greenring_no_yield_leave(void) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#define greenring_no_yield_begin()                                                  \
  do {                                                                              \
    if (greenring_no_yield_enter) greenring_no_yield_enter(__FILE__, __LINE__, __func__); \
  } while (0)
#define greenring_no_yield_end()                          \
  do {                                                    \
    if (greenring_no_yield_leave) greenring_no_yield_leave(); \
  } while (0)

#ifdef __cplusplus
namespace greenring {
/* RAII: { greenring::no_yield_scope s; ...code that must not yield... } */
class no_yield_scope {
 public:
  explicit no_yield_scope(const char* file = __builtin_FILE(), int line = __builtin_LINE(),
                          const char* func = __builtin_FUNCTION()) noexcept {
    if (greenring_no_yield_enter) greenring_no_yield_enter(file, line, func);
  }
  ~no_yield_scope() {
    if (greenring_no_yield_leave) greenring_no_yield_leave();
  }
  no_yield_scope(const no_yield_scope&) = delete;
  no_yield_scope& operator=(const no_yield_scope&) = delete;
};
}  // namespace greenring
#endif

#endif
