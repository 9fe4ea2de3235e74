// YieldInfo formatting, shared by traces, stats and the error reports.
#include "yield_info.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdio>

namespace greenring::detail {

void format_yield(const YieldInfo& y, char* buf, std::size_t size) {
  switch (y.kind) {
    case YieldInfo::fd:
      snprintf(buf, size, "%s fd=%lld", y.what, y.arg);
      break;
    case YieldInfo::addr:
      snprintf(buf, size, "%s 0x%llx", y.what, static_cast<unsigned long long>(y.arg));
      break;
    case YieldInfo::count:
      snprintf(buf, size, "%s n=%lld", y.what, y.arg);
      break;
    case YieldInfo::ns:
      if (y.arg >= 1'000'000'000 && y.arg % 1'000'000 == 0) {
        snprintf(buf, size, "%s %gs", y.what, static_cast<double>(y.arg) / 1e9);
      } else if (y.arg >= 1'000'000) {
        snprintf(buf, size, "%s %gms", y.what, static_cast<double>(y.arg) / 1e6);
      } else if (y.arg >= 1'000) {
        snprintf(buf, size, "%s %gus", y.what, static_cast<double>(y.arg) / 1e3);
      } else {
        snprintf(buf, size, "%s %lldns", y.what, y.arg);
      }
      break;
    default:
      snprintf(buf, size, "%s", y.what);
  }
}

void format_site(void* site, char* buf, std::size_t size) {
  if (!site) {
    snprintf(buf, size, "?");
    return;
  }
  Dl_info info{};
  void* extra = nullptr;
  if (!dladdr1(site, &info, &extra, RTLD_DL_SYMENT) || !info.dli_fname) {
    snprintf(buf, size, "%p", site);
    return;
  }
  auto off = static_cast<unsigned long>(static_cast<char*>(site) - static_cast<char*>(info.dli_fbase));
  // A return address points after the call: step back one byte so that
  // addr2line names the calling line.
  if (off) --off;
  // dladdr names the nearest exported symbol below the address, which for
  // code in a static function is some other function: believe it only when
  // the address lies inside that symbol.
  auto* sym = static_cast<const ElfW(Sym)*>(extra);
  bool inside = info.dli_sname && sym &&
                static_cast<std::size_t>(static_cast<char*>(site) - static_cast<char*>(info.dli_saddr)) < sym->st_size;
  if (inside) {
    auto soff = static_cast<unsigned long>(static_cast<char*>(site) - static_cast<char*>(info.dli_saddr));
    snprintf(buf, size, "%s+0x%lx (%s+0x%lx)", info.dli_sname, soff, info.dli_fname, off);
  } else {
    snprintf(buf, size, "%s+0x%lx", info.dli_fname, off);
  }
}

}  // namespace greenring::detail
