/* Demo (g): a lock-order deadlock: natively a silent hang, under greenring a
 * report that names every blocked thread and where it waits.
 *
 * The story. transfer() locks the account money leaves, then the account it
 * goes to, with a fraud check (a call to another service: a yield) in
 * between. Two clerks move money in opposite directions between the same
 * two accounts: one holds Ada's lock and wants Bob's, the other holds Bob's
 * and wants Ada's. Natively the process hangs forever, using no CPU,
 * telling no one. Under greenring, when every green thread is parked on a
 * lock or a join and nothing (I/O, timer, offload) could ever wake one, the
 * runtime knows it is a deadlock; it prints
 *
 *     greenring: deadlock: all 3 green threads are blocked
 *       "clerk-1" waits on mutex 0x... at transfer+0x..
 *       "clerk-2" waits on mutex 0x... at transfer+0x..
 *       main waits on join 0x... at main+0x..
 *
 * and aborts, so a test fails at once instead of timing out.
 *
 * The fixed variant (-DFIXED, demo-deadlock-fixed) takes the two locks in
 * one global order (by account number), whichever way the money goes.
 *
 * Exit status: 0 when every transfer completed and the money adds up, 1
 * otherwise; under greenring a deadlock aborts (134); natively it hangs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

enum { TRANSFERS = 10 };

struct account {
  int number;
  const char* owner;
  long balance;
  pthread_mutex_t lock;
};

static struct account ada = {1, "Ada", 1000, PTHREAD_MUTEX_INITIALIZER};
static struct account bob = {2, "Bob", 1000, PTHREAD_MUTEX_INITIALIZER};

/* A call to the fraud service: in real life a request over a socket. */
void fraud_check(const struct account* from, long amount) {
  (void)from;
  (void)amount;
  usleep(1000);
}

void transfer(struct account* from, struct account* to, long amount) {
#ifdef FIXED
  struct account* first = from->number < to->number ? from : to;
  struct account* second = first == from ? to : from;
#else
  struct account* first = from;
  struct account* second = to;
#endif
  pthread_mutex_lock(&first->lock);
  fraud_check(from, amount);
  pthread_mutex_lock(&second->lock);
  from->balance -= amount;
  to->balance += amount;
  pthread_mutex_unlock(&second->lock);
  pthread_mutex_unlock(&first->lock);
}

void* clerk(void* arg) {
  int id = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof name, "clerk-%d", id);
  pthread_setname_np(pthread_self(), name);
  for (int i = 0; i < TRANSFERS; ++i) {
    if (id == 1)
      transfer(&ada, &bob, 10);
    else
      transfer(&bob, &ada, 10);
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_t clerks[2];
  for (long i = 0; i < 2; ++i) pthread_create(&clerks[i], NULL, clerk, (void*)(i + 1));
  for (int i = 0; i < 2; ++i) pthread_join(clerks[i], NULL);
  printf("%d transfers each way: Ada %ld, Bob %ld\n", TRANSFERS, ada.balance, bob.balance);
  if (ada.balance + bob.balance != 2000) {
    printf("verdict: FAIL: the money does not add up\n");
    return 1;
  }
  printf("verdict: ok: every transfer completed\n");
  return 0;
}
