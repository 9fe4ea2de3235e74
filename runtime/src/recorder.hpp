// Recorder: every switch between green threads, for --trace (Chrome
// trace-event JSON: one track per green thread, one slice per run interval,
// each ended by what yielded and where) and --stats (yield sites by count,
// printed at exit). Off unless GREENRING_TRACE or GREENRING_STATS is set;
// then the scheduler calls on_switch at every pick.
#pragma once

#include <boost/fiber/context.hpp>

namespace greenring::detail {

class Recorder {
 public:
  static bool enabled() noexcept;
  // Called by the scheduler when `leaving` gives the OS thread to `next`.
  static void on_switch(boost::fibers::context* leaving, boost::fibers::context* next) noexcept;
  // A context that runs without having been picked (an OS thread's main).
  static void started_running(boost::fibers::context* ctx) noexcept;
  // Writes the trace and prints the stats now (before an abort: those are
  // the runs one most wants a trace of). Later calls do nothing.
  static void flush() noexcept;
  // Set up once per process, when the first scheduler is made.
  static void start();
};

}  // namespace greenring::detail
