// A program outside the project that uses greenring only through its
// installed headers, with exactly the names greenring.hpp and io.hpp declare.
// Exits 0 when everything behaved, 1 otherwise.
#include <greenring/greenring.h>
#include <greenring/greenring.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: check failed: %s\n", what);
    ++failures;
  }
}
}  // namespace

int main() {
  using namespace std::chrono_literals;
  namespace io = greenring::io;

  check(greenring::this_green_thread::get_id() == 0, "main's id is 0");
  check(gr_self() == 0, "gr_self() in main is 0");

  int p[2];
  if (pipe(p) != 0) return 1;
  greenring::green_thread::id inside = 0;
  greenring::green_thread writer = greenring::spawn([&] {
    inside = greenring::this_green_thread::get_id();
    greenring::sleep_for(5ms);
    check(io::write(p[1], "consumer", 8) == 8, "io::write");
  });
  check(writer.joinable(), "joinable after spawn");
  const greenring::green_thread::id id = writer.get_id();

  pollfd f{p[0], POLLIN, 0};
  check(io::poll(&f, 1, 5000) == 1, "io::poll");
  check(io::wait_readable(p[0], io::deadline(5s)) == 0, "io::wait_readable");
  char buf[16] = {};
  check(io::read(p[0], buf, sizeof buf, io::deadline::never()) == 8, "io::read");
  check(std::string(buf, 8) == "consumer", "data");
  writer.join();
  check(inside == id && id != 0, "ids");

  check(io::read(p[0], buf, 1, io::deadline(10ms).fail_with(EAGAIN)) == -1 && errno == EAGAIN, "deadline");

  std::vector<int> order;
  greenring::green_thread a = greenring::spawn([&] {
    order.push_back(1);
    greenring::yield();
    order.push_back(3);
  });
  greenring::green_thread b = greenring::spawn([&] { order.push_back(2); });
  a.join();
  b.join();
  check(order == std::vector<int>({1, 2, 3}), "yield order");

  greenring::green_thread d = greenring::spawn([] {});
  d.detach();
  check(!d.joinable(), "detach");

  const auto until = greenring::clock::now() + 2ms;
  greenring::sleep_until(until);
  check(greenring::clock::now() >= until, "sleep_until");

  check(greenring::offload([] { return 6 * 7; }) == 42, "offload value");
  try {
    greenring::offload([] { throw std::runtime_error("offloaded"); });
    check(false, "offload exception");
  } catch (const std::runtime_error& e) {
    check(std::string(e.what()) == "offloaded", "offload exception message");
  }

  close(p[0]);
  close(p[1]);
  if (failures) return 1;
  std::puts("consumer: ok");
  return 0;
}
