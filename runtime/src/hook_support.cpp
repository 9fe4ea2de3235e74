// hook_support: the runtime's answer to "may this call park?".
#include "hook_support.hpp"

#include <boost/fiber/context.hpp>

#include "nowait.hpp"
#include "offload_pool.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {
GREENRING_TLS int depth = 0;

// One claim about one fd, made by a hook and spent by the next runtime op
// that asks about that fd (or any other: a stale claim must not linger).
struct Vouch {
  int fd = -1;
  bool take(int asked) noexcept {
    bool v = fd == asked;
    fd = -1;
    return v;
  }
};
GREENRING_TLS Vouch blocking_vouch, seekable_vouch, stream_vouch;
GREENRING_TLS bool stream_yes = false;
}  // namespace

void vouch_stream(int fd, bool stream) noexcept {
  stream_vouch.fd = fd;
  stream_yes = stream;
}
Stream vouched_stream(int fd) noexcept {
  if (!stream_vouch.take(fd)) return Stream::unknown;
  return stream_yes ? Stream::yes : Stream::no;
}

void vouch_seekable(int fd) noexcept { seekable_vouch.fd = fd; }
bool vouched_seekable(int fd) noexcept { return seekable_vouch.take(fd); }

void vouch_blocking(int fd) noexcept { blocking_vouch.fd = fd; }
bool vouched_blocking(int fd) noexcept { return blocking_vouch.take(fd); }

void fd_is_new(int fd, bool socket) noexcept { nowait::fresh(fd, socket); }
void fds_closed(unsigned first, unsigned last) noexcept { nowait::fresh_range(first, last); }

RuntimeScope::RuntimeScope() noexcept { ++depth; }
RuntimeScope::~RuntimeScope() { --depth; }
int runtime_depth() noexcept { return depth; }

bool can_park() noexcept {
  if (depth > 0 || on_internal_thread()) return false;
  if (!Scheduler::current_if_any()) return true;  // first use: the scheduler is made lazily
  auto* ctx = running_context();
  return ctx && !ctx->is_context(boost::fibers::type::dispatcher_context);
}

}  // namespace greenring::detail
