// green_thread_state: the runtime-side half of a green_thread handle, for
// runtime code (green pthreads) that manages green threads without the
// public handle class.
#pragma once

#include <greenring/greenring.hpp>

namespace greenring::detail {

// Waits for the green thread to end, then frees the state.
void join_state(green_thread_state* s);
// Lets the green thread run on unobserved; frees the state.
void detach_state(green_thread_state* s);
green_thread::id state_id(const green_thread_state* s) noexcept;
struct GreenProps;
// The runtime's record of the green thread (exists from its creation).
GreenProps& state_props(green_thread_state* s);

}  // namespace greenring::detail
