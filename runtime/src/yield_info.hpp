// YieldInfo: what made a green thread give up the OS thread, and from where:
// "write fd=3", "sleep 10ms", "mutex 0x...". Recorded at every park for
// traces, --stats, no-yield scopes and the deadlock report.
#pragma once

#include <cstddef>

namespace greenring::detail {

struct YieldInfo {
  enum Arg : char { none = 0, fd = 'f', addr = 'a', ns = 't', count = 'n' };
  const char* what = "yield";
  Arg kind = none;
  long long arg = 0;
  void* site = nullptr;  // filled from the hook's call site when left null
};

// Formats "write fd=3", "sleep 10ms", "mutex 0x55..." into buf.
void format_yield(const YieldInfo& y, char* buf, std::size_t size);
// Formats "func+0x1c (module+0x11d8)" or "module+0x11d8" into buf.
void format_site(void* site, char* buf, std::size_t size);

}  // namespace greenring::detail
