/* Demo (c): a library upgrade adds a retry-with-sleep inside code that must
 * not yield; a no-yield scope (or --strict) catches it.
 *
 * The story. A shop's clerks are green threads. Reserving stock moves items
 * from in_stock to reserved and journals the order with libstore, a small
 * in-memory store; an auditor thread checks `in_stock + reserved == STOCK`
 * now and then. Between the two updates the invariant is broken, so that
 * stretch must not yield, and the author said so in the code:
 *
 *     greenring_no_yield_begin();
 *     in_stock -= qty;
 *     store_put(&journal, order, qty);
 *     reserved += qty;
 *     greenring_no_yield_end();
 *
 * With libstore 1.x that held: store_put() only touches memory. libstore 2.0
 * then "handles transient errors": a put that finds the journal due for
 * compaction gets EAGAIN, and store_put() retries after a short usleep(). The
 * changelog calls it a robustness fix. Under green threads the usleep() is a
 * yield in the middle of reserve(): the auditor (or another clerk) runs
 * while the invariant is broken.
 *
 * Natively greenring_no_yield_begin/end are weak references that resolve to
 * nothing, and the program runs as before (its threads are real, so the
 * auditor may or may not catch the window). Under `greenring run` the scope
 * turns the hidden yield into an immediate, named error:
 *
 *     greenring: sleep 100us at store_put_v2+0x.. yields inside a no-yield
 *     scope opened at .../library_upgrade.c:NN (reserve): ...
 *
 * For code without scopes, `greenring run --strict` makes *every* yield an
 * error; it suits a single-threaded test of a component that must never
 * yield: `demo-library-upgrade --selftest` passes under --strict with
 * libstore 1.x (--v1) and aborts with 2.0, naming the usleep.
 *
 * The fixed variant (-DFIXED, demo-library-upgrade-fixed) keeps only the two
 * counter updates in the scope and journals the order after it, where a
 * yield is harmless.
 *
 * Usage: demo-library-upgrade [--v1] [--selftest]
 *   --v1: use libstore 1.x (before the upgrade); default: libstore 2.0.
 *   --selftest: libstore's own single-threaded test, for --strict.
 * Exit status: 0 when the invariant always held, 1 when the auditor saw it
 * broken; under greenring a scope violation aborts (134).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <greenring/no_yield.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- libstore: in real life a shared library, upgraded underneath you ---- */

enum { STORE_CAPACITY = 4096, STORE_COMPACT_EVERY = 16 };

struct store {
  int version;  /* 1 or 2 */
  int count;
  int since_compaction;
  long keys[STORE_CAPACITY];
  long values[STORE_CAPACITY];
};

int store_try_put(struct store* s, long key, long value) {
  if (s->version >= 2 && s->since_compaction == STORE_COMPACT_EVERY) {
    /* 2.0: the journal is compacted every 16 puts; the put that finds a
     * compaction due is refused with EAGAIN while it runs. */
    s->since_compaction = 0;
    return EAGAIN;
  }
  if (s->count == STORE_CAPACITY) return ENOSPC;
  s->keys[s->count] = key;
  s->values[s->count] = value;
  ++s->count;
  ++s->since_compaction;
  return 0;
}

/* libstore 1.x */
int store_put_v1(struct store* s, long key, long value) { return store_try_put(s, key, value); }

/* libstore 2.0: "EAGAIN is transient: back off and retry" */
int store_put_v2(struct store* s, long key, long value) {
  int r;
  for (int attempt = 0; (r = store_try_put(s, key, value)) == EAGAIN && attempt < 5; ++attempt)
    usleep(100u << attempt);
  return r;
}

int store_put(struct store* s, long key, long value) {
  return s->version == 1 ? store_put_v1(s, key, value) : store_put_v2(s, key, value);
}

/* ---- the shop ---- */

enum { CLERKS = 3, ORDERS = 40, STOCK = 1000 };

static long in_stock = STOCK, reserved = 0; /* in_stock + reserved == STOCK */
static struct store journal;
static volatile int shop_open = 1;
static int audits, broken;

void reserve(long order, long qty) {
#ifdef FIXED
  greenring_no_yield_begin();
  in_stock -= qty;
  reserved += qty;
  greenring_no_yield_end();
  store_put(&journal, order, qty); /* may sleep since 2.0: outside the scope, harmless */
#else
  greenring_no_yield_begin(); /* the invariant is broken in here: nothing may yield */
  in_stock -= qty;
  store_put(&journal, order, qty);
  reserved += qty;
  greenring_no_yield_end();
#endif
}

void* clerk(void* arg) {
  long id = (long)arg;
  char name[16];
  snprintf(name, sizeof name, "clerk-%ld", id);
  pthread_setname_np(pthread_self(), name);
  for (long i = 0; i < ORDERS; ++i) {
    reserve(id * 1000 + i, 1 + i % 3);
    usleep(100); /* the next customer */
  }
  return NULL;
}

void* auditor(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "auditor");
  while (shop_open) {
    ++audits;
    if (in_stock + reserved != STOCK) ++broken;
    usleep(50);
  }
  return NULL;
}

int selftest(struct store* s) {
  for (long k = 0; k < 100; ++k)
    if (store_put(s, k, k * k) != 0) {
      printf("verdict: FAIL: libstore %d.x self-test: put %ld failed\n", s->version, k);
      return 1;
    }
  int ok = s->count == 100;
  for (int i = 0; ok && i < s->count; ++i) ok = s->values[i] == s->keys[i] * s->keys[i];
  printf("verdict: %s: libstore %d.x self-test, %d puts\n", ok ? "ok" : "FAIL", s->version, s->count);
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int test_only = 0;
  journal.version = 2;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--v1") == 0) {
      journal.version = 1;
    } else if (strcmp(argv[i], "--selftest") == 0) {
      test_only = 1;
    } else {
      fprintf(stderr, "usage: %s [--v1] [--selftest]\n", argv[0]);
      return 2;
    }
  }
  if (test_only) return selftest(&journal);

  pthread_t clerks[CLERKS], audit;
  pthread_create(&audit, NULL, auditor, NULL);
  for (long i = 0; i < CLERKS; ++i) pthread_create(&clerks[i], NULL, clerk, (void*)(i + 1));
  for (int i = 0; i < CLERKS; ++i) pthread_join(clerks[i], NULL);
  shop_open = 0;
  pthread_join(audit, NULL);

  printf("libstore %d.x: %d orders journaled; stock %ld + reserved %ld = %ld (expected %d); "
         "the auditor saw the invariant broken %d times in %d audits\n",
         journal.version, journal.count, in_stock, reserved, in_stock + reserved, STOCK, broken, audits);
  if (broken || in_stock + reserved != STOCK) {
    printf("verdict: FAIL: the invariant was seen broken %d times\n", broken);
    return 1;
  }
  printf("verdict: ok: the invariant always held\n");
  return 0;
}
