/* dns_family: getaddrinfo, getnameinfo, gethostbyname, gethostbyname2,
 * gethostbyname_r, gethostbyname2_r, gethostbyaddr, gethostbyaddr_r. Under
 * the shim each runs on the offload pool; results, EAI_* codes, errno and
 * h_errno must come back to the caller as libc gives them. Only names that
 * need no DNS server are used (localhost from /etc/hosts, numeric
 * addresses), so the transcript does not depend on the network; the test is
 * skipped when localhost does not resolve at all. */
#include "transcript.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void show_ai(const char* label, int rc, struct addrinfo* res) {
  if (rc != 0) {
    t_say("%s = %s (%s)", label, rc == EAI_SYSTEM ? "EAI_SYSTEM" : "EAI error", gai_strerror(rc));
    return;
  }
  int n = 0;
  char text[INET6_ADDRSTRLEN];
  t_say("%s = 0", label);
  for (struct addrinfo* a = res; a; a = a->ai_next, ++n) {
    const void* addr = a->ai_family == AF_INET ? (const void*)&((struct sockaddr_in*)a->ai_addr)->sin_addr
                                               : (const void*)&((struct sockaddr_in6*)a->ai_addr)->sin6_addr;
    unsigned port = ntohs(a->ai_family == AF_INET ? ((struct sockaddr_in*)a->ai_addr)->sin_port
                                                  : ((struct sockaddr_in6*)a->ai_addr)->sin6_port);
    inet_ntop(a->ai_family, addr, text, sizeof text);
    t_say("  family %d socktype %d protocol %d %s port %u canon %s", a->ai_family, a->ai_socktype, a->ai_protocol,
          text, port, a->ai_canonname ? a->ai_canonname : "-");
  }
}

static void show_host(const char* label, struct hostent* h, int herr, int err) {
  if (!h) {
    t_say("%s = NULL h_errno=%d errno=%s", label, herr, t_errname(err));
    return;
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(h->h_addrtype, h->h_addr_list[0], text, sizeof text);
  t_say("%s = %s, type %d, length %d, first address %s", label, h->h_name, h->h_addrtype, h->h_length, text);
}

static void addrinfo_cases(void) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo("localhost", "80", &hints, &res);
  show_ai("getaddrinfo(localhost, 80, AF_INET, STREAM)", rc, res);
  if (rc == 0) freeaddrinfo(res);

  hints.ai_flags = AI_NUMERICHOST | AI_CANONNAME;
  rc = getaddrinfo("127.0.0.1", "8080", &hints, &res);
  show_ai("getaddrinfo(127.0.0.1, 8080, NUMERICHOST|CANONNAME)", rc, res);
  if (rc == 0) freeaddrinfo(res);

  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_DGRAM;
  rc = getaddrinfo("::1", "53", &hints, &res);
  show_ai("getaddrinfo(::1, 53, AF_INET6, DGRAM)", rc, res);
  if (rc == 0) freeaddrinfo(res);

  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_NUMERICHOST;
  rc = getaddrinfo("not-a-number", NULL, &hints, &res);
  show_ai("getaddrinfo(not-a-number, NUMERICHOST)", rc, res);
  hints.ai_flags = AI_NUMERICSERV;
  rc = getaddrinfo("127.0.0.1", "http", &hints, &res);
  show_ai("getaddrinfo(127.0.0.1, \"http\", NUMERICSERV)", rc, res);
  rc = getaddrinfo(NULL, NULL, NULL, &res);
  show_ai("getaddrinfo(NULL, NULL)", rc, res);
  memset(&hints, 0, sizeof hints);
  hints.ai_family = 12345;
  rc = getaddrinfo("127.0.0.1", NULL, &hints, &res);
  show_ai("getaddrinfo(family 12345)", rc, res);
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_PASSIVE;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(NULL, "9999", &hints, &res);
  show_ai("getaddrinfo(NULL, 9999, PASSIVE)", rc, res);
  if (rc == 0) freeaddrinfo(res);
}

static void nameinfo_cases(void) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(22);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  int rc = getnameinfo((struct sockaddr*)&a, sizeof a, host, sizeof host, serv, sizeof serv,
                       NI_NUMERICHOST | NI_NUMERICSERV);
  t_say("getnameinfo(127.0.0.1:22, NUMERIC) = %d %s %s", rc, rc ? "" : host, rc ? "" : serv);
  rc = getnameinfo((struct sockaddr*)&a, sizeof a, host, sizeof host, NULL, 0, NI_NAMEREQD);
  t_say("getnameinfo(127.0.0.1, NAMEREQD) = %d %s", rc, rc ? gai_strerror(rc) : host);
  rc = getnameinfo((struct sockaddr*)&a, 3, host, sizeof host, NULL, 0, 0);
  t_say("getnameinfo(salen 3) = %s", rc ? gai_strerror(rc) : "0");
  char tiny[2];
  rc = getnameinfo((struct sockaddr*)&a, sizeof a, tiny, sizeof tiny, NULL, 0, NI_NUMERICHOST);
  t_say("getnameinfo(host buffer of 2) = %s errno=%s", rc == EAI_OVERFLOW ? "EAI_OVERFLOW" : gai_strerror(rc),
        t_errname(rc == EAI_SYSTEM ? errno : 0));
}

static void hostent_cases(void) {
  errno = 0;
  h_errno = 0;
  struct hostent* h = gethostbyname("localhost");
  show_host("gethostbyname(localhost)", h, h_errno, errno);
  h = gethostbyname("127.0.0.1");
  show_host("gethostbyname(127.0.0.1)", h, h_errno, errno);
  h = gethostbyname2("localhost", AF_INET);
  show_host("gethostbyname2(localhost, AF_INET)", h, h_errno, errno);
  errno = 0;
  h = gethostbyname2("127.0.0.1", 12345);
  show_host("gethostbyname2(family 12345)", h, h_errno, errno);

  struct in_addr lo = {htonl(INADDR_LOOPBACK)};
  h = gethostbyaddr(&lo, sizeof lo, AF_INET);
  show_host("gethostbyaddr(127.0.0.1)", h, h_errno, errno);
  errno = 0;
  h_errno = 0;
  h = gethostbyaddr(&lo, 3, AF_INET);
  show_host("gethostbyaddr(length 3)", h, h_errno, errno);

  struct hostent he, *out = NULL;
  char buf[1024];
  int herr = 0;
  int rc = gethostbyname_r("localhost", &he, buf, sizeof buf, &out, &herr);
  t_say("gethostbyname_r(localhost) = %s", rc ? t_errname(rc) : "0");
  show_host("  result", out, herr, 0);
  char small[8];
  herr = 0;
  out = NULL;
  rc = gethostbyname_r("localhost", &he, small, sizeof small, &out, &herr);
  t_say("gethostbyname_r(localhost, 8-byte buffer) = %s, result %s, h_errno %d", rc ? t_errname(rc) : "0",
        out ? "set" : "NULL", herr);
  rc = gethostbyname2_r("localhost", AF_INET, &he, buf, sizeof buf, &out, &herr);
  t_say("gethostbyname2_r(localhost, AF_INET) = %s", rc ? t_errname(rc) : "0");
  show_host("  result", out, herr, 0);
  rc = gethostbyaddr_r(&lo, sizeof lo, AF_INET, &he, buf, sizeof buf, &out, &herr);
  t_say("gethostbyaddr_r(127.0.0.1) = %s", rc ? t_errname(rc) : "0");
  show_host("  result", out, herr, 0);
}

struct resolve_job {
  int rc;
};
static void* resolve_in_thread(void* arg) {
  struct resolve_job* j = (struct resolve_job*)arg;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  for (int i = 0; i < 20 && j->rc == 0; ++i) {
    j->rc = getaddrinfo("localhost", "80", &hints, &res);
    if (j->rc == 0) freeaddrinfo(res);
  }
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  if (getaddrinfo("localhost", NULL, &hints, &res) != 0) {
    printf("localhost does not resolve here (no /etc/hosts entry?)\n");
    return T_SKIP;
  }
  freeaddrinfo(res);
  t_start("dns_family", 25);
  if (t_want(argc, argv, "addrinfo")) addrinfo_cases();
  if (t_want(argc, argv, "nameinfo")) nameinfo_cases();
  if (t_want(argc, argv, "hostent")) hostent_cases();
  if (t_want(argc, argv, "threads")) {
    pthread_t t[4];
    struct resolve_job jobs[4] = {{0}, {0}, {0}, {0}};
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, resolve_in_thread, &jobs[i]);
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
    t_say("4 threads x 20 getaddrinfo(localhost): all 0: %s",
          jobs[0].rc == 0 && jobs[1].rc == 0 && jobs[2].rc == 0 && jobs[3].rc == 0 ? "yes" : "no");
  }
  return t_end();
}
