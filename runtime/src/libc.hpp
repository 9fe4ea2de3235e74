// libc: glibc's own entry points for what the runtime needs from it, looked
// up in libc.so.6 itself. The preload library interposes the public names
// (pthread_create...), and the runtime's internal threads must be real ones.
#pragma once

#include <pthread.h>
#include <signal.h>

namespace greenring::detail::libc {

int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg);
int sigaction(int sig, const struct sigaction* act, struct sigaction* old);
int cxa_thread_atexit_impl(void (*dtor)(void*), void* obj, void* dso);

}  // namespace greenring::detail::libc
