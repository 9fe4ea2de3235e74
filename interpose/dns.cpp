// dns family: getaddrinfo, getnameinfo, gethostbyname(2)(_r),
// gethostbyaddr(_r). The resolver has no asynchronous form (and glibc calls
// its own poll internally, out of reach of LD_PRELOAD), so each call runs on
// the offload pool while the caller is parked. errno and h_errno, which the
// worker sets on its own thread, are carried back.
#include <netdb.h>

#include <greenring/greenring.hpp>

#include "hook.hpp"

namespace gi = greenring::interpose;

namespace {

template <class F>
auto offloaded(F&& call) -> decltype(call()) {
  int err = 0, herr = 0;
  auto r = greenring::offload([&] {
    auto x = call();
    err = errno;
    herr = h_errno;
    return x;
  });
  errno = err;
  h_errno = herr;
  return r;
}

}  // namespace

extern "C" {

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
  if (!gi::can_park()) return REAL(getaddrinfo)(node, service, hints, res);
  return offloaded([&] { return REAL(getaddrinfo)(node, service, hints, res); });
}

int getnameinfo(const struct sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                socklen_t servlen, int flags) {
  if (!gi::can_park()) return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
  return offloaded([&] { return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags); });
}

struct hostent* gethostbyname(const char* name) {
  if (!gi::can_park()) return REAL(gethostbyname)(name);
  return offloaded([&] { return REAL(gethostbyname)(name); });
}

struct hostent* gethostbyname2(const char* name, int af) {
  if (!gi::can_park()) return REAL(gethostbyname2)(name, af);
  return offloaded([&] { return REAL(gethostbyname2)(name, af); });
}

struct hostent* gethostbyaddr(const void* addr, socklen_t len, int type) {
  if (!gi::can_park()) return REAL(gethostbyaddr)(addr, len, type);
  return offloaded([&] { return REAL(gethostbyaddr)(addr, len, type); });
}

int gethostbyname_r(const char* name, struct hostent* ret, char* buf, size_t buflen, struct hostent** result,
                    int* herr) {
  if (!gi::can_park()) return REAL(gethostbyname_r)(name, ret, buf, buflen, result, herr);
  return offloaded([&] { return REAL(gethostbyname_r)(name, ret, buf, buflen, result, herr); });
}

int gethostbyname2_r(const char* name, int af, struct hostent* ret, char* buf, size_t buflen,
                     struct hostent** result, int* herr) {
  if (!gi::can_park()) return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, herr);
  return offloaded([&] { return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, herr); });
}

int gethostbyaddr_r(const void* addr, socklen_t len, int type, struct hostent* ret, char* buf, size_t buflen,
                    struct hostent** result, int* herr) {
  if (!gi::can_park()) return REAL(gethostbyaddr_r)(addr, len, type, ret, buf, buflen, result, herr);
  return offloaded([&] { return REAL(gethostbyaddr_r)(addr, len, type, ret, buf, buflen, result, herr); });
}

}  // extern "C"
