/* greenring C API: spawn, join, yield and sleep for C programs that link
 * libgreenring. Every function is safe to call from a plain main(): the
 * calling OS thread's scheduler is created on first use. */
#ifndef GREENRING_H
#define GREENRING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gr_thread gr_thread; /* opaque handle from gr_spawn */

/* Starts fn(arg) as a green thread. Returns NULL (errno set) on failure. */
gr_thread* gr_spawn(void (*fn)(void*), void* arg);
/* Waits for the green thread to end and frees the handle. 0 or -1/errno. */
int gr_join(gr_thread* t);
/* Lets the green thread run on unobserved and frees the handle. */
int gr_detach(gr_thread* t);
/* Lets every other ready green thread of this OS thread run once. */
void gr_yield(void);
/* Parks the calling green thread for ns nanoseconds. */
void gr_sleep_ns(uint64_t ns);
/* The calling green thread's id, 0 for a thread's own main context. */
uint64_t gr_self(void);

#ifdef __cplusplus
}
#endif
#endif
