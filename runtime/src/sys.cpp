// sys: the runtime's last-resort output, written without stdio.
#include "sys.hpp"

#include <cstdlib>
#include <cstring>

namespace greenring::sys {

void say_line(const char* msg) {
  char buf[1024];
  size_t n = strnlen(msg, sizeof buf - 2);
  memcpy(buf, msg, n);
  buf[n++] = '\n';
  for (size_t off = 0; off < n;) {
    long r = write(2, buf + off, n - off);
    if (r == -EINTR) continue;
    if (r <= 0) return;
    off += static_cast<size_t>(r);
  }
}

void die_line(const char* msg) {
  say_line(msg);
  // Exit status 2 like a usage error: the program never started its work.
  raw(SYS_exit_group, 2);
  __builtin_unreachable();
}

}  // namespace greenring::sys
