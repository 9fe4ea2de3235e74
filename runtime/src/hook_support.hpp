// hook_support: what a layer that translates libc calls (a hook) asks of
// the runtime before it turns a call into a park: may this call park here?
// The runtime answers from its own state; it knows nothing of LD_PRELOAD.
#pragma once

namespace greenring::detail {

// False on runtime-internal threads (offload workers), inside the
// scheduler's own dispatcher (Boost.Fiber's spinlocks call sched_yield), and
// while a RuntimeScope is open: those calls must reach libc unchanged.
bool can_park() noexcept;

// Marks code that runs inside the runtime on behalf of a caller; a hook
// reached from there passes straight through. Never held across a switch
// (a green thread parked inside one would disable the hooks of every other
// green thread of the OS thread): park() checks that.
class RuntimeScope {
 public:
  RuntimeScope() noexcept;
  ~RuntimeScope();
  RuntimeScope(const RuntimeScope&) = delete;
  RuntimeScope& operator=(const RuntimeScope&) = delete;
};

int runtime_depth() noexcept;

// True for the thread-local destructor registration that must be skipped so
// that process exit does not wait for parked green threads (thread_exit.cpp).
bool decline_thread_atexit(void (*dtor)(void*)) noexcept;

// A hook that already knows fd is blocking for the application (its
// FdTable says so) vouches for it; the next runtime op on fd then skips
// asking the kernel for the fd's flags when it would block. Consumed by
// that op.
void vouch_blocking(int fd) noexcept;
bool vouched_blocking(int fd) noexcept;
// Likewise for what kind of fd a read or write goes to. A regular file or a
// directory (stream = no) is read and written at its current position by
// the plain system call, which holds the position lock the ring's
// current-position ops do not; a file write is then a switch all the same.
// Anything else (yes: a pipe, socket, FIFO, tty, eventfd, device) is first
// offered the transfer directly (RWF_NOWAIT) and reaches the ring only when
// it would block. Without a vouch (the API) the runtime asks fstat.
enum class Stream : char { unknown, yes, no };
void vouch_stream(int fd, bool stream) noexcept;
Stream vouched_stream(int fd) noexcept;
// A hook made a new fd (or closed one): what the runtime learned of the
// number's last file no longer holds (nowait.hpp). `socket`: reads on it
// take the socket path.
void fd_is_new(int fd, bool socket) noexcept;
// close_range: the same for every number in [first, last].
void fds_closed(unsigned first, unsigned last) noexcept;
// Likewise for "fd has a file position" (positional calls skip their lseek).
void vouch_seekable(int fd) noexcept;
bool vouched_seekable(int fd) noexcept;

}  // namespace greenring::detail
