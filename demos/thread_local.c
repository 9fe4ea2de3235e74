/* Demo (f): `__thread` state is shared between green threads.
 *
 * The story. A server's logging helper tags every line with the request
 * being served, so that the lines of one request can be found later. The
 * handler sets the tag once, at the start; log_line() reads it:
 *
 *     static __thread const struct request* current;   one per thread
 *
 * That is per OS thread, and it is correct on OS threads. Under greenring
 * every pthread is a green thread of one OS thread, so there is one
 * `current` for all of them (as with every `__thread`/`thread_local`
 * variable, the signal mask, uselocale() and the resolver state). The
 * handler sets it, calls the backend (a blocking call: a yield), and by the
 * time it logs, the other handlers have set it to their own requests: the
 * line is filed under the wrong request.
 *
 * Under `greenring run` (fifo) it happens on every request but the last;
 * natively never.
 *
 * The fixed variant (-DFIXED, demo-thread-local-fixed) keeps the tag in a
 * pthread key (pthread_setspecific), which greenring makes per green
 * thread, as eventlet patches threading.local. Passing the request down
 * explicitly is the other fix.
 *
 * Exit status: 0 when every line named its own request, 1 otherwise.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { HANDLERS = 4, REQUESTS = 5 };

struct request {
  int id;
  char path[32];
};

#ifdef FIXED
static pthread_key_t current_key;
void set_current(const struct request* r) { pthread_setspecific(current_key, r); }
const struct request* get_current(void) { return pthread_getspecific(current_key); }
#else
static __thread const struct request* current;
void set_current(const struct request* r) { current = r; }
const struct request* get_current(void) { return current; }
#endif

static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static int lines, misfiled;
static char example[320];

/* Formats a log line tagged with the current request into line; returns
 * the tag. */
int log_line(const char* what, char* line, size_t size) {
  const struct request* r = get_current();
  snprintf(line, size, "[request %d %s] %s", r->id, r->path, what);
  /* in real life: write(log_fd, line, ...) */
  pthread_mutex_lock(&tally_lock);
  ++lines;
  pthread_mutex_unlock(&tally_lock);
  return r->id;
}

/* The backend call: in real life a query over a socket; here a short sleep. */
void call_backend(const struct request* r) { usleep(1000 + 100 * (unsigned)(r->id % 7)); }

void handle(const struct request* r) {
  set_current(r);
  call_backend(r);
  char line[160];
  int tagged = log_line("backend answered", line, sizeof line);
  if (tagged != r->id) {
    pthread_mutex_lock(&tally_lock);
    if (++misfiled == 1)
      snprintf(example, sizeof example, "request %d %s logged as \"%s\"", r->id, r->path, line);
    pthread_mutex_unlock(&tally_lock);
  }
}

static struct request requests[HANDLERS + 1][REQUESTS];

void* handler(void* arg) {
  int h = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof name, "handler-%d", h);
  pthread_setname_np(pthread_self(), name);
  struct request* reqs = requests[h];
  for (int i = 0; i < REQUESTS; ++i) {
    reqs[i].id = h * 100 + i;
    snprintf(reqs[i].path, sizeof reqs[i].path, "/item/%d", h * 10 + i);
    handle(&reqs[i]);
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef FIXED
  pthread_key_create(&current_key, NULL);
#endif
  pthread_t handlers[HANDLERS];
  for (long i = 0; i < HANDLERS; ++i) pthread_create(&handlers[i], NULL, handler, (void*)(i + 1));
  for (int i = 0; i < HANDLERS; ++i) pthread_join(handlers[i], NULL);

  printf("%d handlers x %d requests: %d log lines, %d filed under another request\n", HANDLERS, REQUESTS,
         lines, misfiled);
  if (misfiled) {
    printf("verdict: FAIL: %d of %d lines misfiled (first: %s)\n", misfiled, lines, example);
    return 1;
  }
  printf("verdict: ok: every line named its own request\n");
  return 0;
}
