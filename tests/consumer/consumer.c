/* A C program outside the project that uses the C API only. */
#define _POSIX_C_SOURCE 200809L
#include <greenring/greenring.h>

#include <stdio.h>

static int ran = 0;
static uint64_t id_inside = 0;

static void body(void* arg) {
  id_inside = gr_self();
  gr_yield();
  gr_sleep_ns(1000000u);
  ran = *(int*)arg;
}

int main(void) {
  int value = 7;
  gr_thread* t = gr_spawn(body, &value);
  if (!t || gr_join(t) != 0 || ran != 7 || id_inside == 0 || gr_self() != 0) {
    fprintf(stderr, "consumer_c: failed\n");
    return 1;
  }
  gr_thread* d = gr_spawn(body, &value);
  if (!d || gr_detach(d) != 0) return 1;
  puts("consumer_c: ok");
  return 0;
}
