// FdTable: what the application asked of each file descriptor, as far as it
// changes what a hook does: its own O_NONBLOCK (then calls pass straight
// through and return EAGAIN as usual) and SO_RCVTIMEO / SO_SNDTIMEO (then a
// blocking call gets a deadline). The kernel's flags are never changed, so
// F_GETFL shows exactly what the application set. An fd first seen here is
// asked about with one fcntl(F_GETFL).
#pragma once

#include <atomic>
#include <cstdint>

namespace greenring::interpose {

class FdTable {
 public:
  bool nonblocking(int fd);
  void set_nonblocking(int fd, bool on);
  // Timeouts in nanoseconds; 0 = none.
  int64_t recv_timeout(int fd);
  int64_t send_timeout(int fd);
  void set_recv_timeout(int fd, int64_t ns);
  void set_send_timeout(int fd, int64_t ns);
  // A new fd (socket, pipe, accept...) whose flags the caller knows.
  void created(int fd, bool nonblocking);
  // dup: same open file description, same flags and timeouts.
  void duplicated(int from, int to);
  void forget(int fd);

 private:
  struct Entry {
    std::atomic<uint32_t> state{0};  // 0 unknown, else kKnown | flags
    std::atomic<int64_t> rcvtimeo{0};
    std::atomic<int64_t> sndtimeo{0};
  };
  static constexpr uint32_t kKnown = 1, kNonblock = 2;
  static constexpr int kChunkBits = 10, kChunks = 1024;  // up to 1M fds
  Entry* entry(int fd, bool create);
  Entry* learn(int fd, Entry* e);
  std::atomic<Entry*> chunks_[kChunks]{};
};

FdTable& fds();

}  // namespace greenring::interpose
