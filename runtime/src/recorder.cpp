// Recorder: switch events kept in memory, written at exit.
#include "recorder.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "config.hpp"
#include "scheduler.hpp"
#include "sys.hpp"
#include "yield_info.hpp"

namespace greenring::detail {
namespace {

struct Event {
  int64_t tid;
  double ts, dur;  // µs since start
  YieldInfo why;
  uint64_t seq;
};

std::atomic<bool> on{false};
bool tracing = false;
bool stats = false;
std::string path;
sys::Mutex mu;
std::vector<Event>* events;
std::map<int64_t, std::string>* names;
// (what, kind, arg, site) -> n; formatted (dladdr) only when printed.
std::map<std::tuple<const char*, char, long long, void*>, uint64_t>* counts;
uint64_t seq = 0;
std::chrono::steady_clock::time_point t0;

int64_t track_of(GreenProps* p) {
  if (p->id) return static_cast<int64_t>(p->id);
  long tid = sys::gettid();
  return tid == getpid() ? 0 : 100000000 + tid;
}

double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

// Length of the valid UTF-8 sequence at s, or 0.
int utf8_length(const unsigned char* s) {
  int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
  for (int i = 1; i < n; ++i)
    if ((s[i] & 0xc0) != 0x80) return 0;
  return n;
}

// JSON must be valid UTF-8: a name with arbitrary bytes, or a buffer cut in
// the middle of a character, becomes U+FFFD rather than an unreadable file.
void json_string(FILE* f, const char* str) {
  fputc('"', f);
  auto* s = reinterpret_cast<const unsigned char*>(str);
  while (*s) {
    unsigned char c = *s;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc(c, f);
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
    } else if (c >= 0x80) {
      int n = utf8_length(s);
      if (n == 0) {
        fputs("\\ufffd", f);
      } else {
        fwrite(s, 1, static_cast<std::size_t>(n), f);
        s += n;
        continue;
      }
    } else {
      fputc(c, f);
    }
    ++s;
  }
  fputc('"', f);
}

void write_trace() {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    char msg[512];
    snprintf(msg, sizeof msg, "greenring: cannot write the trace to %s: %s", path.c_str(), strerror(errno));
    sys::say_line(msg);
    return;
  }
  int pid = getpid();
  fputs("{\"traceEvents\":[\n", f);
  bool first = true;
  for (auto& [tid, name] : *names) {
    fprintf(f, "%s{\"ph\":\"M\",\"pid\":%d,\"tid\":%lld,\"name\":\"thread_name\",\"args\":{\"name\":", first ? "" : ",\n",
            pid, static_cast<long long>(tid));
    json_string(f, name.c_str());
    fputs("}}", f);
    first = false;
  }
  char what[128], site[512];
  for (const Event& e : *events) {
    format_yield(e.why, what, sizeof what);
    format_site(e.why.site, site, sizeof site);
    fprintf(f, "%s{\"ph\":\"X\",\"pid\":%d,\"tid\":%lld,\"ts\":%.3f,\"dur\":%.3f,\"name\":\"run\",\"cat\":\"green\",\"args\":{\"yield\":",
            first ? "" : ",\n", pid, static_cast<long long>(e.tid), e.ts, e.dur);
    json_string(f, what);
    fputs(",\"site\":", f);
    json_string(f, site);
    fprintf(f, ",\"seq\":%llu}}", static_cast<unsigned long long>(e.seq));
    first = false;
  }
  static const char* sched_names[] = {"fifo", "random", "pct"};
  fprintf(f,
          "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"greenring\":{\"version\":\"0.1.0\",\"sched\":\"%s\",\"seed\":%llu,"
          "\"depth\":%u,\"switches\":%llu}}}\n",
          sched_names[static_cast<int>(config().sched)], static_cast<unsigned long long>(config().seed), config().depth,
          static_cast<unsigned long long>(seq));
  fclose(f);
}

void print_stats() {
  // Group by the printed text: one site may appear with several raw keys.
  std::map<std::pair<std::string, std::string>, uint64_t> merged;
  char what[128], site[512];
  for (auto& [k, n] : *counts) {
    YieldInfo y{std::get<0>(k), static_cast<YieldInfo::Arg>(std::get<1>(k)), std::get<2>(k), std::get<3>(k)};
    format_yield(y, what, sizeof what);
    format_site(y.site, site, sizeof site);
    merged[{what, site}] += n;
  }
  std::vector<std::pair<uint64_t, const std::pair<std::string, std::string>*>> rows;
  uint64_t total = 0;
  for (auto& [k, n] : merged) {
    rows.push_back({n, &k});
    total += n;
  }
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.first > b.first; });
  fprintf(stderr, "greenring: %llu yields by site\n%10s %7s  %-28s %s\n", static_cast<unsigned long long>(total),
          "count", "share", "yield", "site");
  for (auto& [n, k] : rows)
    fprintf(stderr, "%10llu %6.1f%%  %-28s %s\n", static_cast<unsigned long long>(n), 100.0 * n / (total ? total : 1),
            k->first.c_str(), k->second.c_str());
}

void at_exit() {
  if (!on.load()) return;
  on.store(false);
  sys::LockGuard lock(mu);
  if (tracing) write_trace();
  if (stats) print_stats();
}

void in_child() {
  // A forked child records its own run, into its own file.
  sys::LockGuard lock(mu);
  events->clear();
  counts->clear();
  seq = 0;
  if (tracing) path += "." + std::to_string(getpid());
}

}  // namespace

void Recorder::started_running(boost::fibers::context* ctx) noexcept {
  if (auto* p = static_cast<GreenProps*>(ctx->get_properties())) p->run_start = now_us();
}

void Recorder::flush() noexcept { at_exit(); }

bool Recorder::enabled() noexcept { return on.load(std::memory_order_relaxed); }

void Recorder::start() {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  tracing = !config().trace.empty();
  stats = config().stats;
  if (!tracing && !stats) return;
  path = config().trace;
  events = new std::vector<Event>();
  names = new std::map<int64_t, std::string>();
  counts = new std::map<std::tuple<const char*, char, long long, void*>, uint64_t>();
  events->reserve(1 << 16);
  t0 = std::chrono::steady_clock::now();
  atexit(at_exit);
  pthread_atfork(nullptr, nullptr, in_child);
  on.store(true);
}

void Recorder::on_switch(boost::fibers::context* leaving, boost::fibers::context* next) noexcept {
  double now = now_us();
  auto* lp = static_cast<GreenProps*>(leaving->get_properties());
  auto* np = static_cast<GreenProps*>(next->get_properties());
  bool leaving_green = lp && !leaving->is_context(boost::fibers::type::dispatcher_context);
  sys::LockGuard lock(mu);
  if (leaving_green && lp->run_start >= 0) {
    YieldInfo why = lp->yield;
    if (leaving->terminated_is_linked()) why = YieldInfo{"exit"};
    int64_t tid = track_of(lp);
    if (tracing) {
      events->push_back(Event{tid, lp->run_start, now - lp->run_start, why, seq});
      auto& n = (*names)[tid];
      if (lp->name && *lp->name) {
        n = lp->name;
      } else if (n.empty()) {
        n = lp->id ? "green " + std::to_string(lp->id) : "main";
      }
    }
    if (stats && !leaving->terminated_is_linked()) ++(*counts)[{why.what, static_cast<char>(why.kind), why.arg, why.site}];
    ++seq;
    lp->run_start = -1;
  }
  if (np && !next->is_context(boost::fibers::type::dispatcher_context)) {
    np->run_start = now;
    if (tracing && np->name && *np->name) (*names)[track_of(np)] = np->name;
  }
}

}  // namespace greenring::detail
