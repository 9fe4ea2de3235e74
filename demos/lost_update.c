/* Demo (a): a lost update, because a logging helper inside a
 * read-modify-write yields.
 *
 * The story. A small bank service keeps its balances in memory and serves
 * each teller from its own thread. It was written to run on green threads,
 * and its author reasoned like every eventlet user once did: "only one green
 * thread runs at a time, and nothing in deposit() blocks, so
 * `balance = balance + amount` needs no lock." That was true.
 *
 * Then the auditors asked for an audit trail, and someone added one line to
 * deposit(), between reading the balance and storing the new one, because
 * that is where both the old and the new balance are at hand:
 *
 *     long old = account->balance;
 *     audit("deposit %ld, balance was %ld", amount, old);    <- new
 *     account->balance = old + amount;
 *
 * audit() formats the line and write()s it to the audit log, a regular file.
 * Under greenring a write to a regular file is an io_uring request that
 * parks the green thread: an implicit yield. Every other teller now runs in
 * the middle of deposit(), reads the same old balance, and one of the two
 * updates is lost. Nothing in deposit() *looks* like a yield.
 *
 * Under `greenring run` (fifo) the loss is deterministic: every deposit but
 * one per round is lost. Natively the tellers are real threads on real
 * cores and the same code races there too, sometimes.
 *
 * The fixed variant (built with -DFIXED, demo-lost-update-fixed) holds the
 * account's mutex across the whole read-modify-write, audit line included.
 * Under greenring the mutex is green: a teller that finds it taken parks
 * until the holder's audit write is done. It is also correct natively.
 *
 * Usage: demo-lost-update [-n DEPOSITS] [AUDIT_LOG]
 *   DEPOSITS per teller (default 50); AUDIT_LOG: default a temporary file.
 * Exit status: 0 when the final balance is right, 1 when updates were lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { TELLERS = 4, AMOUNT = 10 };
static int deposits = 50; /* per teller */

struct account {
  const char* owner;
  long balance;
#ifdef FIXED
  pthread_mutex_t lock;
#endif
};

static struct account savings = {
    "Ada", 0,
#ifdef FIXED
    PTHREAD_MUTEX_INITIALIZER,
#endif
};

static int audit_fd = -1;

/* One audit line per call, written with a single write() so that lines from
 * different tellers never interleave. Innocent-looking, and a yield. */
void audit(int teller, const char* format, ...) {
  char line[160];
  int n = snprintf(line, sizeof line, "teller %d: ", teller);
  va_list args;
  va_start(args, format);
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, format, args);
  va_end(args);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2; /* truncated */
  line[n++] = '\n';
  if (write(audit_fd, line, (size_t)n) != n) perror("audit: write");
}

void deposit(struct account* a, int teller, long amount) {
#ifdef FIXED
  pthread_mutex_lock(&a->lock);
#endif
  long old = a->balance;                                          /* read   */
  audit(teller, "deposit %ld to %s, balance was %ld", amount, a->owner, old);
  a->balance = old + amount;                                      /* write  */
#ifdef FIXED
  pthread_mutex_unlock(&a->lock);
#endif
}

void* teller(void* arg) {
  int id = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof name, "teller-%d", id);
  pthread_setname_np(pthread_self(), name);
  for (int i = 0; i < deposits; ++i) deposit(&savings, id, AMOUNT);
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char path[256];
  int arg = 1;
  if (arg + 1 < argc && strcmp(argv[arg], "-n") == 0) {
    deposits = atoi(argv[arg + 1]);
    arg += 2;
  }
  if (deposits < 1 || argc > arg + 1) {
    fprintf(stderr, "usage: %s [-n DEPOSITS] [AUDIT_LOG]\n", argv[0]);
    return 2;
  }
  if (argc > arg) {
    snprintf(path, sizeof path, "%s", argv[arg]);
    audit_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  } else {
    const char* tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/demo-lost-update-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    audit_fd = mkstemp(path);
    if (audit_fd >= 0) unlink(path); /* nobody needs to read it afterwards */
  }
  if (audit_fd < 0) {
    fprintf(stderr, "demo-lost-update: %s: %s\n", path, strerror(errno));
    return 2;
  }

  pthread_t tellers[TELLERS];
  for (long i = 0; i < TELLERS; ++i) pthread_create(&tellers[i], NULL, teller, (void*)(i + 1));
  for (int i = 0; i < TELLERS; ++i) pthread_join(tellers[i], NULL);
  close(audit_fd);

  long expected = (long)TELLERS * deposits * AMOUNT;
  long lost = (expected - savings.balance) / AMOUNT;
  printf("%d tellers x %d deposits of %d: balance %ld, expected %ld\n", TELLERS, deposits, AMOUNT,
         savings.balance, expected);
  if (savings.balance != expected) {
    printf("verdict: FAIL: %ld of %d deposits lost\n", lost, TELLERS * deposits);
    return 1;
  }
  printf("verdict: ok: no deposit lost\n");
  return 0;
}
