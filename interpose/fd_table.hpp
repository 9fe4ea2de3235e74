// FdTable: what the application asked of each file descriptor, as far as it
// changes what a hook does: its own O_NONBLOCK (then calls pass straight
// through and return EAGAIN as usual) and SO_RCVTIMEO / SO_SNDTIMEO (then a
// blocking call gets a deadline). The kernel's flags are never changed, so
// F_GETFL shows exactly what the application set. An fd first seen here is
// asked about with one fcntl(F_GETFL).
//
// O_NONBLOCK belongs to the open file description, which dup'd fds share: a
// change through one fd (F_SETFL, FIONBIO) starts a new generation, and an
// entry learned in an older generation is asked about again before use.
#pragma once

#include <atomic>
#include <cstdint>

namespace greenring::interpose {

class FdTable {
 public:
  // What a hook knows of an fd when it creates it: nothing, no file
  // position (a pipe, eventfd...), or a socket (no position either).
  enum class Kind { unknown, stream, socket };

  bool nonblocking(int fd);
  void set_nonblocking(int fd, bool on);
  // pread and friends fail with ESPIPE on this fd (a pipe, socket, FIFO,
  // tty...): io_uring would ignore the offset instead.
  bool stream(int fd);
  // A regular file or a directory: the kernel locks its position for
  // read/write at the current position, which the ring would not.
  bool regular(int fd);
  // Timeouts in nanoseconds; 0 = none.
  int64_t recv_timeout(int fd);
  int64_t send_timeout(int fd);
  void set_recv_timeout(int fd, int64_t ns);
  void set_send_timeout(int fd, int64_t ns);
  // A new fd (socket, pipe, accept...) whose flags the caller knows.
  void created(int fd, bool nonblocking, Kind kind = Kind::unknown);
  // dup: same open file description, same flags and timeouts.
  void duplicated(int from, int to);
  void forget(int fd);
  // close_range: every fd in [first, last].
  void forget_range(unsigned first, unsigned last);

 private:
  struct Entry {
    std::atomic<uint32_t> state{0};  // 0 unknown, else flags below | generation << kGenShift
    std::atomic<int64_t> rcvtimeo{0};
    std::atomic<int64_t> sndtimeo{0};
    void clear() noexcept {  // nothing known: the number names no file we saw
      state.store(0, std::memory_order_relaxed);
      rcvtimeo.store(0, std::memory_order_relaxed);
      sndtimeo.store(0, std::memory_order_relaxed);
    }
  };
  static constexpr uint32_t kKnown = 1, kNonblock = 2, kSeekKnown = 4, kStream = 8, kRegKnown = 16, kRegular = 32;
  // What the file is, as opposed to the flags of its description: kept
  // across generations.
  static constexpr uint32_t kKindBits = kSeekKnown | kStream | kRegKnown | kRegular;
  static constexpr int kGenShift = 8;
  static constexpr int kChunkBits = 10, kChunks = 1024;  // up to 1M fds
  Entry* entry(int fd, bool create);
  uint32_t learn(int fd, Entry* e);
  uint32_t generation() const { return gen_.load(std::memory_order_acquire) << kGenShift; }
  bool current(uint32_t s) const { return (s & kKnown) && (s & ~((1u << kGenShift) - 1)) == generation(); }
  std::atomic<Entry*> chunks_[kChunks]{};
  std::atomic<uint32_t> gen_{0};
};

FdTable& fds();

}  // namespace greenring::interpose
