// nowait: the attempt before the ring. A write to a pipe or socket with room,
// or a read where data is waiting, costs one plain system call with
// RWF_NOWAIT / MSG_DONTWAIT (the kernel refuses rather than blocks) instead
// of an io_uring_enter and a completion: a 1-byte pipe write ~280 ns against
// ~740 ns through the ring (docs/interposition.md). A refusal sends the call
// to the ring as before. Either way a call that did not have to wait returns
// without a switch, so what yields and what does not is unchanged.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <climits>
#include <cstdint>

#include "hook_support.hpp"

namespace greenring::detail::nowait {

// "Not done here: use the ring."
constexpr int32_t kUseRing = INT32_MIN;

// Whether a write (read) on fd is tried here first; `kind` is the hook's
// vouch (hook_support.hpp: a file with a position never is, it has its own
// path). A read is tried only where the last read on fd found data at once:
// where reads usually wait (a server's socket) the attempt would be a wasted
// system call.
bool writes_first(int fd, Stream kind) noexcept;
bool reads_first(int fd, Stream kind) noexcept;

// The attempts: bytes moved, a definitive -errno (EPIPE must not be tried a
// second time: it raised SIGPIPE already), or kUseRing.
int32_t writev(int fd, const struct iovec* v, int n) noexcept;
int32_t sendmsg(int fd, const struct msghdr* m, int flags) noexcept;
int32_t readv(int fd, const struct iovec* v, int n, long at = -1) noexcept;  // at -1: the current position
int32_t recvmsg(int fd, struct msghdr* m, int flags) noexcept;

// A direct attempt on fd was refused for good (EOPNOTSUPP: it cannot be
// asked not to block) since the number was last made.
bool refused(int fd) noexcept;
// A read on fd went through the ring and did (or did not) have to wait.
void read_done(int fd, bool waited) noexcept;
// fd names a new file (accept or connect made it a socket, a hook made or
// closed it, a read found it is no socket): forget what its number taught,
// and note whether it is a socket.
void fresh(int fd, bool socket) noexcept;
void fresh_range(unsigned first, unsigned last) noexcept;  // close_range

// Whether fd was last seen to be a socket. A read on a socket goes to the
// ring as a RECV, which costs the kernel less than a READ (a few % more echo
// requests per second). Should the number have become something else, the
// RECV fails with ENOTSOCK at once, without a switch (the kernel checks that
// first), and the read is made again as a READ. (RECVSEND_POLL_FIRST would
// save a little more, but the kernel would then park before that check.)
bool socket_hint(int fd) noexcept;

// Whether fd was seen by fstat not to be a regular file or directory since
// the number was last made (without the hooks' vouch the runtime asks fstat
// once, not before every read).
bool not_a_file(int fd) noexcept;
void learned_not_a_file(int fd) noexcept;

}  // namespace greenring::detail::nowait
