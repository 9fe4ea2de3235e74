// FdTable: a two-level array, chunks mapped on first use, lock-free reads.
#include "fd_table.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "hook_support.hpp"
#include "sys.hpp"

namespace greenring::interpose {

FdTable& fds() {
  static FdTable* t = new FdTable();  // used until the very last close
  return *t;
}

FdTable::Entry* FdTable::entry(int fd, bool create) {
  if (fd < 0 || fd >= (kChunks << kChunkBits)) return nullptr;
  auto& slot = chunks_[fd >> kChunkBits];
  Entry* chunk = slot.load(std::memory_order_acquire);
  if (!chunk) {
    if (!create) return nullptr;
    auto* fresh = new Entry[1 << kChunkBits];
    if (slot.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) {
      chunk = fresh;
    } else {
      delete[] fresh;
    }
  }
  return &chunk[fd & ((1 << kChunkBits) - 1)];
}

uint32_t FdTable::learn(int fd, Entry* e) {
  uint32_t s = e->state.load(std::memory_order_relaxed);
  long fl = sys::raw(SYS_fcntl, fd, F_GETFL);
  if (fl < 0) return s;  // not open: the call itself will report EBADF
  uint32_t now = (s & kKindBits) | kKnown | ((fl & O_NONBLOCK) ? kNonblock : 0) | generation();
  e->state.store(now, std::memory_order_relaxed);
  return now;
}

bool FdTable::nonblocking(int fd) {
  Entry* e = entry(fd, true);
  if (!e) return false;
  uint32_t s = e->state.load(std::memory_order_relaxed);
  if (!current(s)) s = learn(fd, e);
  return s & kNonblock;
}

void FdTable::set_nonblocking(int fd, bool on) {
  Entry* e = entry(fd, true);
  if (!e) return;
  uint32_t s = e->state.load(std::memory_order_relaxed);
  // Unless this entry was exact and already said so, the open file
  // description changed, and other fds on it (dup, inherited) may still say
  // otherwise: a new generation makes every entry ask again.
  if (!current(s) || static_cast<bool>(s & kNonblock) != on) gen_.fetch_add(1, std::memory_order_acq_rel);
  e->state.store((s & kKindBits) | kKnown | (on ? kNonblock : 0) | generation(), std::memory_order_relaxed);
}

bool FdTable::stream(int fd) {
  Entry* e = entry(fd, true);
  if (!e) return false;
  uint32_t s = e->state.load(std::memory_order_relaxed);
  if (!(s & kSeekKnown)) {
    // No file position, no pread: lseek says so with ESPIPE.
    long r = sys::raw(SYS_lseek, fd, 0, SEEK_CUR);
    if (r == -EBADF) return false;  // the call itself will report EBADF
    uint32_t bits = kSeekKnown | (r == -ESPIPE ? kStream : 0);
    s = e->state.fetch_or(bits, std::memory_order_relaxed) | bits;
  }
  return s & kStream;
}

bool FdTable::regular(int fd) {
  Entry* e = entry(fd, true);
  if (!e) return false;
  uint32_t s = e->state.load(std::memory_order_relaxed);
  if (!(s & kRegKnown)) {
    long file = sys::position_locked(fd);
    if (file < 0) return false;  // the call itself will report the error
    uint32_t bits = kRegKnown | (file ? kRegular : 0);
    s = e->state.fetch_or(bits, std::memory_order_relaxed) | bits;
  }
  return s & kRegular;
}

int64_t FdTable::recv_timeout(int fd) {
  Entry* e = entry(fd, false);
  return e ? e->rcvtimeo.load(std::memory_order_relaxed) : 0;
}

int64_t FdTable::send_timeout(int fd) {
  Entry* e = entry(fd, false);
  return e ? e->sndtimeo.load(std::memory_order_relaxed) : 0;
}

void FdTable::set_recv_timeout(int fd, int64_t ns) {
  if (Entry* e = entry(fd, true)) e->rcvtimeo.store(ns, std::memory_order_relaxed);
}

void FdTable::set_send_timeout(int fd, int64_t ns) {
  if (Entry* e = entry(fd, true)) e->sndtimeo.store(ns, std::memory_order_relaxed);
}

void FdTable::created(int fd, bool nonblocking, Kind kind) {
  detail::fd_is_new(fd, kind == Kind::socket);
  if (Entry* e = entry(fd, true)) {
    uint32_t seek_bits = kind != Kind::unknown ? kSeekKnown | kStream | kRegKnown : 0;
    e->state.store(kKnown | (nonblocking ? kNonblock : 0) | seek_bits | generation(), std::memory_order_relaxed);
    e->rcvtimeo.store(0, std::memory_order_relaxed);
    e->sndtimeo.store(0, std::memory_order_relaxed);
  }
}

void FdTable::duplicated(int from, int to) {
  detail::fd_is_new(to, false);  // reads on the copy take the general path
  Entry* src = entry(from, true);
  Entry* dst = entry(to, true);
  if (!src || !dst) return;
  dst->state.store(src->state.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->rcvtimeo.store(src->rcvtimeo.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->sndtimeo.store(src->sndtimeo.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void FdTable::forget(int fd) {
  detail::fd_is_new(fd, false);
  if (Entry* e = entry(fd, false)) e->clear();
}

void FdTable::forget_range(unsigned first, unsigned last) {
  // Only numbers that were ever seen hold anything: the runtime's hints
  // cover the low ones, the table's entries live in allocated chunks.
  detail::fds_closed(first, last);
  constexpr unsigned kChunkSize = 1u << kChunkBits;
  for (unsigned c = first >> kChunkBits; c < kChunks && c <= (last >> kChunkBits); ++c) {
    Entry* chunk = chunks_[c].load(std::memory_order_acquire);
    if (!chunk) continue;
    unsigned lo = std::max(first, c * kChunkSize), hi = std::min(last, c * kChunkSize + kChunkSize - 1);
    for (unsigned fd = lo; fd <= hi; ++fd) chunk[fd - c * kChunkSize].clear();
  }
}

}  // namespace greenring::interpose
