// Reactor: io_uring set-up, submission, completion and cross-thread wake-up.
#include "reactor.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>

#include <cstdio>
#include <cstring>

#include "hook_support.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace greenring::detail {
namespace {

// user_data tags below any valid Op address.
constexpr uint64_t kIgnore = 0;    // linked timeouts, cancel requests
constexpr uint64_t kDoorbell = 1;  // the cross-thread wake-up's wait

// IORING_OP_FUTEX_WAIT's flags; liburing 2.3 has no names for them.
constexpr unsigned kFutex2SizeU32 = 0x02, kFutex2Private = 128;
constexpr unsigned kEntries = 256;
constexpr unsigned kCqEntries = 4096;

[[noreturn]] void ring_unavailable(int err) {
  char msg[256];
  const char* why = "";
  if (err == ENOSYS) {
    why = "the kernel has no io_uring (ENOSYS)";
  } else if (err == EPERM) {
    why = "io_uring is forbidden here (EPERM: kernel.io_uring_disabled=2, or a seccomp filter)";
  } else if (err == EACCES) {
    why = "io_uring is restricted to a group this process is not in (kernel.io_uring_disabled=1)";
  } else if (err == ENOMEM) {
    why = "not enough locked memory for the ring (ENOMEM: raise RLIMIT_MEMLOCK)";
  } else {
    why = strerror(err);
  }
  snprintf(msg, sizeof msg, "greenring: cannot set up io_uring: %s", why);
  sys::die_line(msg);
}

const char* op_name(uint8_t opcode) {
  switch (opcode) {
    case IORING_OP_READ: return "read";
    case IORING_OP_WRITE: return "write";
    case IORING_OP_READV: return "readv";
    case IORING_OP_WRITEV: return "writev";
    case IORING_OP_RECV: return "recv";
    case IORING_OP_SEND: return "send";
    case IORING_OP_RECVMSG: return "recvmsg";
    case IORING_OP_SENDMSG: return "sendmsg";
    case IORING_OP_ACCEPT: return "accept";
    case IORING_OP_CONNECT: return "connect";
    case IORING_OP_POLL_ADD: return "poll";
    case IORING_OP_FSYNC: return "fsync";
    case kOpWaitid: return "waitid";
    case kOpFutexWait: return "futex";
    default: return "io";
  }
}

bool transfers_data(uint8_t opcode) {
  switch (opcode) {
    case IORING_OP_READ:
    case IORING_OP_WRITE:
    case IORING_OP_READV:
    case IORING_OP_WRITEV:
    case IORING_OP_RECV:
    case IORING_OP_SEND:
    case IORING_OP_RECVMSG:
    case IORING_OP_SENDMSG:
    case IORING_OP_ACCEPT:
    case IORING_OP_CONNECT:
      return true;
    default:
      return false;
  }
}

bool app_nonblocking(int fd) {
  long fl = sys::raw(SYS_fcntl, fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

// Moves a runtime fd to a number near the top of the fd limit (close-on-exec),
// out of the way of the application's own numbering.
int move_high(int fd) {
  struct rlimit lim {};
  sys::raw(SYS_getrlimit, RLIMIT_NOFILE, reinterpret_cast<long>(&lim));
  rlim_t top = lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 65536 ? 65536 : lim.rlim_cur;
  if (top <= 256) return fd;
  long high = sys::raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC, static_cast<long>(top - 64));
  if (high < 0) return fd;
  sys::close(fd);
  return static_cast<int>(high);
}

__kernel_timespec to_kernel_ts(std::chrono::steady_clock::time_point tp) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  if (ns < 0) ns = 0;
  return {ns / 1'000'000'000, ns % 1'000'000'000};
}

}  // namespace

void prep_futex_wait(io_uring_sqe* s, const void* addr, uint32_t expected, bool shared) {
  io_uring_prep_rw(kOpFutexWait, s, static_cast<int>(kFutex2SizeU32 | (shared ? 0 : kFutex2Private)), addr, 0,
                   expected);
  s->addr3 = 0xffffffffULL;  // FUTEX_BITSET_MATCH_ANY
}

Reactor::Reactor(Scheduler& sched) : sched_(sched) { setup(); }

void Reactor::rebuild_after_fork() {
  // The ring's fd was closed at set-up (the ring is registered, and the
  // child does not inherit registrations): only the eventfd is ours to close.
  if (event_fd_ >= 0) sys::close(event_fd_);
  event_fd_ = -1;
  ring_ = {};
  setup();
}

void Reactor::setup() {
  inflight_head_.prev = inflight_head_.next = &inflight_head_;
  inflight_count_ = 0;
  io_uring_params p{};
  p.cq_entries = kCqEntries;
  // SINGLE_ISSUER + DEFER_TASKRUN: completions are processed only when this
  // thread asks for them, in one batch (measured: ~1.5-3x the echo rate).
  // TASKRUN_FLAG: the kernel raises IORING_SQ_TASKRUN when it holds
  // completions for us, so poll() can look before it enters.
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
            IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  int r = io_uring_queue_init_params(kEntries, &ring_, &p);
  taskrun_flag_ = r == 0;
  if (r == -EINVAL) {  // an older kernel: plain ring
    p = {};
    p.cq_entries = kCqEntries;
    p.flags = IORING_SETUP_CQSIZE;
    r = io_uring_queue_init_params(kEntries, &ring_, &p);
  }
  if (r < 0) ring_unavailable(-r);
  ops_ = 0;
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring_)) {
    for (int op = 0; op < 64; ++op)
      if (io_uring_opcode_supported(probe, op)) ops_ |= uint64_t{1} << op;
    io_uring_free_probe(probe);
  }
  // A forked child must not share this ring (it builds its own).
  io_uring_ring_dontfork(&ring_);
  // The application owns the fd numbers: a shell dup2()s over 3..9, a
  // daemon closes everything (close_range), and select() refuses a closed
  // fd only below the size of the fd table, which one high fd grows. So the
  // ring keeps no fd at all (registered, entered by index) where the kernel
  // allows, else one far from the low numbers, and the doorbell is a futex
  // word where the kernel can wait on one, else an eventfd kept high too.
  if (io_uring_register_ring_fd(&ring_) == 1) {
    sys::close(ring_.ring_fd);
    ring_.ring_fd = -1;
  } else {
    ring_.ring_fd = ring_.enter_ring_fd = move_high(ring_.ring_fd);
  }
  if (!supports(kOpFutexWait)) open_eventfd();
  bell_.store(0, std::memory_order_relaxed);
  arm_doorbell();
}

void Reactor::open_eventfd() {
  long fd = sys::raw(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) ring_unavailable(static_cast<int>(-fd));
  event_fd_ = move_high(static_cast<int>(fd));
}

Reactor::~Reactor() {
  io_uring_queue_exit(&ring_);
  if (event_fd_ >= 0) sys::close(event_fd_);
}

void Reactor::arm_doorbell() {
  io_uring_sqe* s = sqe();
  if (event_fd_ >= 0) {
    io_uring_prep_read(s, event_fd_, &event_buf_, sizeof event_buf_, 0);
  } else {
    // Completes when notify() wakes the word, or at once (EAGAIN) if it was
    // rung before the kernel looked.
    prep_futex_wait(s, &bell_, 0, false);
  }
  io_uring_sqe_set_data64(s, kDoorbell);
  bell_armed_ = true;
}

io_uring_sqe* Reactor::sqe(unsigned count) {
  for (;;) {
    if (io_uring_sq_space_left(&ring_) >= count) {
      io_uring_sqe* s = io_uring_get_sqe(&ring_);
      if (s) return s;
    }
    submit();
  }
}

void Reactor::submit() {
  for (;;) {
    int r = io_uring_submit(&ring_);
    if (r >= 0 || r == -EINTR) return;
    if (r == -EBUSY || r == -EAGAIN) {
      // The CQ is backed up: drain it, then the kernel takes more.
      io_uring_get_events(&ring_);
      reap();
      continue;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "greenring: io_uring_submit failed: %s", strerror(-r));
    sys::die_line(msg);
  }
}

void Reactor::reap() {
  for (;;) {
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      uint64_t tag = io_uring_cqe_get_data64(cqe);
      if (tag == kIgnore) continue;
      if (tag == kDoorbell) {
        bell_armed_ = false;
        woken_ = true;
        continue;
      }
      Op* op = reinterpret_cast<Op*>(tag);
      op->res = cqe->res;
      op->cqe_flags = cqe->flags;
      op->done = true;
      wake(*op);
    }
    io_uring_cq_advance(&ring_, seen);
    // Completions the kernel kept aside while the CQ was full (NODROP) come
    // back on the next enter; ask for them now rather than losing a wake-up.
    if (!io_uring_cq_has_overflow(&ring_)) break;
    io_uring_get_events(&ring_);
  }
  if (!bell_armed_) {
    bell_.store(0, std::memory_order_release);
    arm_doorbell();
  }
}

void Reactor::start(Op& op, io_uring_sqe* s) {
  // A futex wait's "fd" field holds its flags, a waitid's the process id.
  op.fd = s->opcode == kOpFutexWait || s->opcode == kOpWaitid ? -1 : s->fd;
  io_uring_sqe_set_data(s, &op);
  op.next = &inflight_head_;
  op.prev = inflight_head_.prev;
  inflight_head_.prev->next = &op;
  inflight_head_.prev = &op;
  ++inflight_count_;
}

void Reactor::finish(Op& op) {
  op.prev->next = op.next;
  op.next->prev = op.prev;
  op.prev = op.next = nullptr;
  --inflight_count_;
}

void Reactor::flush() {
  // With GETEVENTS the same enter also runs the completions this thread's
  // deferred task work holds (DEFER_TASKRUN), so a green thread that another
  // one's write just made ready is seen without an extra enter.
  for (;;) {
    int r = io_uring_submit_and_get_events(&ring_);
    if (r >= 0 || r == -EINTR) break;
    if (r != -EBUSY && r != -EAGAIN) {
      submit();  // reports the error
      break;
    }
    reap();
  }
  reap();
}

void Reactor::wake(Op& op) {
  // Several ops may share one waiter (poll), and a timer may have woken it
  // already: schedule it once.
  boost::fibers::context* ctx = op.waiter;
  if (ctx && !ctx->ready_is_linked()) ctx->get_scheduler()->schedule(ctx);
}

int32_t Reactor::run(Op& op, io_uring_sqe* s, const io::deadline& dl) {
  __kernel_timespec ts;
  uint8_t opcode = s->opcode;
  start(op, s);
  if (dl.is_set()) {
    // The caller asked sqe(2): the link timeout's slot follows the op's.
    ts = to_kernel_ts(dl.when());
    s->flags |= IOSQE_IO_LINK;
    io_uring_sqe* t = io_uring_get_sqe(&ring_);
    if (!t) sys::die_line("greenring: internal error: no SQE left for a linked timeout");
    io_uring_prep_link_timeout(t, &ts, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data64(t, kIgnore);
  }
  // Submit at once: an op that completes inline (data already there, room
  // in the pipe) returns without a switch, as the libc call would, and as
  // eventlet's green sockets do. (Leaving the SQE queued while other green
  // threads are ready halves the enters of a pipe ping-pong, measured 2.8
  // against 5.2 us a round trip, but makes every such call a yield: a
  // logging write would then switch under fifo. Semantics first.)
  flush();
  InterruptibleWait* iw = current_interruptible();
  YieldInfo why{op_name(opcode), op.fd >= 0 ? YieldInfo::fd : YieldInfo::none, op.fd, nullptr};
  bool parked = op.parked = !op.done;
  bool gave_up = false;
  bool vouched = vouched_blocking(op.fd);  // consumed by this op either way
  if (!op.done && transfers_data(opcode) && !vouched && app_nonblocking(op.fd)) {
    // The application made this fd non-blocking: the libc call would have
    // failed with EAGAIN (EINPROGRESS for connect) instead of waiting. The
    // ring ignores O_NONBLOCK on pipes and sockets, so take the op back.
    gave_up = true;
    cancel_op(op);
    flush();
  }
  if (!op.done) {
    if (iw) iw->set_op(&op);
    op.waiter = running_context();
    do park(why);
    while (!op.done);
    op.waiter = nullptr;
    if (iw) iw->set_op(nullptr);
  }
  finish(op);
  // Completed without a switch: a latent yield point (random, pct).
  if (!parked && sched_.policy().kind() != SchedKind::fifo) sched_.latent_point(why);

  int32_t res = op.res;
  if (gave_up && res == -ECANCELED) return opcode == IORING_OP_CONNECT ? -EINPROGRESS : -EAGAIN;
  if (iw && iw->interrupted() && res == -ECANCELED) return -EINTR;
  if (op.fd_closed && (res == -ECANCELED || res == -EINTR || res == -EBADF)) return -EBADF;
  if (dl.is_set() && (res == -ECANCELED || res == -EINTR || res == -ETIME) &&
      std::chrono::steady_clock::now() >= dl.when())
    return -dl.timeout_errno();
  return res;
}

void Reactor::wait(std::chrono::steady_clock::time_point until) {
  using namespace std::chrono;
  io_uring_cqe* cqe = nullptr;
  if (woken_) {
    // A wake-up from another thread was reaped (by poll() or a green
    // thread's op) after the dispatcher last looked at its remote queue:
    // look again before sleeping, or that context would sleep with us.
    woken_ = false;
    submit();
    io_uring_get_events(&ring_);
  } else if (until == steady_clock::time_point::max()) {
    io_uring_submit_and_wait(&ring_, 1);
  } else {
    auto left = duration_cast<nanoseconds>(until - steady_clock::now()).count();
    if (left <= 0) {
      submit();
      io_uring_get_events(&ring_);
    } else {
      __kernel_timespec ts{left / 1'000'000'000, left % 1'000'000'000};
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
  }
  // EINTR (a signal handler ran) and ETIME (the timer is due) both just
  // return to the dispatcher, which re-evaluates what is ready — its remote
  // queue first, so a wake-up reaped here needs no second look.
  reap();
  woken_ = false;
  sched_.check_signals();
}

void Reactor::poll() {
  if (io_uring_sq_ready(&ring_) == 0 && io_uring_cq_ready(&ring_) == 0) {
    unsigned flags = IO_URING_READ_ONCE(*ring_.sq.kflags);
    bool pending = taskrun_flag_ ? (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0 : inflight_count_ != 0;
    if (!pending) return;
  }
  flush();
}

void Reactor::cancel_op(Op& op) {
  io_uring_sqe* s = sqe();
  io_uring_prep_cancel64(s, reinterpret_cast<uint64_t>(&op), 0);
  io_uring_sqe_set_data64(s, kIgnore);
}

void Reactor::notify() {
  // One ring per arming is enough: the bell is cleared when the wait
  // completes and is re-armed, so no wake-up can fall between them.
  if (bell_.exchange(1, std::memory_order_acq_rel) != 0) return;
  if (event_fd_ < 0) {
    sys::futex_wake(&bell_, 1);
  } else {
    uint64_t one = 1;
    sys::write(event_fd_, &one, sizeof one);
  }
}

void Reactor::cancel_fd(int fd) {
  bool any = false;
  for (Op* o = inflight_head_.next; o != &inflight_head_; o = o->next) {
    if (o->fd == fd && !o->done) {
      o->fd_closed = true;
      any = true;
    }
  }
  if (!any) return;
  io_uring_sqe* s = sqe();
  io_uring_prep_cancel_fd(s, fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(s, kIgnore);
  for (;;) {
    bool pending = false;
    for (Op* o = inflight_head_.next; o != &inflight_head_; o = o->next)
      if (o->fd == fd && o->fd_closed && !o->done) pending = true;
    if (!pending) return;
    io_uring_submit_and_wait(&ring_, 1);
    reap();
  }
}

void Reactor::cancel_fds(unsigned first, unsigned last) {
  // One fd at a time: cancel_fd reaps, and a reaped op may leave the list.
  for (;;) {
    int fd = -1;
    for (Op* o = inflight_head_.next; o != &inflight_head_ && fd < 0; o = o->next)
      if (o->fd >= 0 && static_cast<unsigned>(o->fd) >= first && static_cast<unsigned>(o->fd) <= last && !o->done &&
          !o->fd_closed)
        fd = o->fd;
    if (fd < 0) return;
    cancel_fd(fd);
  }
}

}  // namespace greenring::detail
