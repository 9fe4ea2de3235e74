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
GREENRING_TLS int vouched_fd = -1;
}

GREENRING_TLS int seekable_fd = -1;
GREENRING_TLS int stream_fd = -1;
GREENRING_TLS bool stream_yes = false;

void vouch_stream(int fd, bool stream) noexcept {
  stream_fd = fd;
  stream_yes = stream;
}
Stream vouched_stream(int fd) noexcept {
  Stream v = stream_fd != fd ? Stream::unknown : stream_yes ? Stream::yes : Stream::no;
  stream_fd = -1;
  return v;
}

void vouch_seekable(int fd) noexcept { seekable_fd = fd; }
bool vouched_seekable(int fd) noexcept {
  bool v = seekable_fd == fd;
  seekable_fd = -1;
  return v;
}

void fd_is_new(int fd, bool socket) noexcept { nowait::fresh(fd, socket); }

void vouch_blocking(int fd) noexcept { vouched_fd = fd; }
bool vouched_blocking(int fd) noexcept {
  bool v = vouched_fd == fd;
  vouched_fd = -1;
  return v;
}

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
