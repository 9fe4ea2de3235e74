// green_pthread: pthreads as green threads (threads mode green). A
// pthread_t made here points at a GreenPthread record, not at glibc's
// struct pthread; every call that takes a pthread_t must therefore come
// here first (is_green) and only pass real ones on to glibc. Keys,
// cleanup handlers and the exit value live in the record, per green thread.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstddef>

namespace greenring::detail::gp {

bool is_green(pthread_t t) noexcept;
// The calling green pthread's handle, or 0 when the caller is not one (an
// OS thread's own main context, or a green thread spawned by the C++ API).
pthread_t self() noexcept;

// pthread error numbers, as the pthread functions return them.
int create(pthread_t* out, const pthread_attr_t* attr, void* (*fn)(void*), void* arg);
int join(pthread_t t, void** retval, std::chrono::steady_clock::time_point deadline, bool try_only);
int detach(pthread_t t);
[[noreturn]] void exit(void* retval);
// pthread_exit from an OS thread's main context: the process goes on until
// the last green pthread ends, then exits with status 0.
[[noreturn]] void exit_main();

int setname(pthread_t t, const char* name);
int getname(pthread_t t, char* buf, std::size_t len);
int getattr(pthread_t t, pthread_attr_t* attr);

// Keys: glibc allocates the key numbers (so keys made before the hooks were
// on stay valid); values of green pthreads live in their records.
void key_created(pthread_key_t key, void (*destructor)(void*));
void key_deleted(pthread_key_t key);
bool getspecific(pthread_key_t key, void** value);        // false: not a green pthread
bool setspecific(pthread_key_t key, const void* value, int* err);

// C cleanup handlers (pthread_cleanup_push/pop in C): the buffers glibc's
// macros register, kept per green pthread. False: not a green pthread.
bool register_cleanup(void* buf);
bool unregister_cleanup(void* buf);
// Continues a green pthread_exit after one C cleanup handler ran; does not
// return for a green pthread, returns false for any other caller.
bool unwind_next(void* buf);

// The OS thread a green pthread runs on (for calls glibc must see a real
// thread for: scheduling, affinity, signals).
pthread_t host_of(pthread_t t) noexcept;

std::size_t live_count() noexcept;

}  // namespace greenring::detail::gp
