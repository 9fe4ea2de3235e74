/* Demo (b): check-then-act lazy initialisation, raced through a yield that
 * only some paths take.
 *
 * The story. A service's worker threads share one configuration, loaded on
 * first use by get_config():
 *
 *     if (config == NULL) {               check
 *         c = load ...                    (reads the config file, if any)
 *         config = c;                     act
 *     }
 *
 * On green threads this is the classic "it cannot race, nothing in it
 * blocks" idiom, and on the path its author tested (no config file, built-in
 * defaults) that is even true: that path makes no call that can yield.
 * In production a config file is given, and loading it calls open() and
 * read(). A read of a file that is in the page cache completes at once, so
 * under greenring's default fifo scheduling it does not yield either, and
 * every test passes. But read() is a call that *may* park (a cold cache, a
 * slow disk, a network file system): a latent yield point. On the day it
 * does, a second worker runs get_config(), also sees NULL, and loads a
 * second configuration. Each worker registers itself with the configuration
 * it got; the registrations made in the overwritten one are lost.
 *
 * `greenring run` (fifo) passes, as the tests did. `greenring explore`
 * (random scheduling, which also yields at calls that completed without
 * blocking) finds a failing schedule within a few seeds, and the replay
 * command it prints reproduces it every time. Natively, real threads race
 * here as well, rarely.
 *
 * The fixed variant (-DFIXED, demo-lazy-init-fixed) initialises through
 * pthread_once(), which greenring makes green: a second caller parks until
 * the first has finished loading. (A mutex around the check and the act is
 * the other correct fix.)
 *
 * Usage: demo-lazy-init [CONFIG_FILE | --defaults]
 *   no argument: the program writes a small config file to a temporary file
 *   and loads that (the production path); --defaults: no file at all (the
 *   tested path, which never yields, so no schedule can break it).
 * Exit status: 0 when the configuration was loaded once, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { WORKERS = 4, MAX_WORKERS = 16 };

struct config {
  int generation;  /* which load produced it: 1 for the first */
  int max_connections;
  char greeting[64];
  int workers;     /* workers that registered with this configuration */
  int worker_ids[MAX_WORKERS];
};

static const char* config_path; /* NULL: built-in defaults */
static struct config* config;
static int loads;

void set_defaults(struct config* c) {
  c->max_connections = 64;
  snprintf(c->greeting, sizeof c->greeting, "hello");
}

/* key=value lines; unknown keys are ignored. */
void parse(struct config* c, char* text) {
  char* save = NULL;
  for (char* line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char* eq = strchr(line, '=');
    if (!eq) continue;
    *eq = '\0';
    if (strcmp(line, "max_connections") == 0) c->max_connections = atoi(eq + 1);
    if (strcmp(line, "greeting") == 0) snprintf(c->greeting, sizeof c->greeting, "%s", eq + 1);
  }
}

void load_file(struct config* c, const char* path) {
  char text[512];
  size_t used = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "demo-lazy-init: %s: %s\n", path, strerror(errno));
    exit(2);
  }
  for (;;) {
    ssize_t n = read(fd, text + used, sizeof text - 1 - used); /* may park: a latent yield */
    if (n <= 0) break;
    used += (size_t)n;
  }
  close(fd);
  text[used] = '\0';
  parse(c, text);
}

void load_config(void) {
  struct config* c = calloc(1, sizeof *c);
  c->generation = ++loads;
  set_defaults(c);
  if (config_path) load_file(c, config_path);
  config = c;
}

#ifdef FIXED
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
struct config* get_config(void) {
  pthread_once(&config_once, load_config);
  return config;
}
#else
struct config* get_config(void) {
  if (config == NULL) load_config(); /* check, then act: two steps */
  return config;
}
#endif

void* worker(void* arg) {
  int id = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof name, "worker-%d", id);
  pthread_setname_np(pthread_self(), name);
  struct config* c = get_config();
  c->worker_ids[c->workers++] = id; /* register with the configuration */
  return NULL;
}

static char made_path[256];
void remove_made_file(void) { unlink(made_path); }

/* The production path without asking the user for a file: write one. */
const char* make_config_file(void) {
  const char* tmp = getenv("TMPDIR");
  snprintf(made_path, sizeof made_path, "%s/demo-lazy-init-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(made_path);
  if (fd < 0) {
    fprintf(stderr, "demo-lazy-init: %s: %s\n", made_path, strerror(errno));
    exit(2);
  }
  atexit(remove_made_file);
  static const char text[] = "max_connections=256\ngreeting=welcome\n";
  if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) perror("demo-lazy-init: write");
  close(fd);
  return made_path;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && strcmp(argv[1], "--defaults") == 0) {
    config_path = NULL;
  } else if (argc > 1) {
    config_path = argv[1];
  } else {
    config_path = make_config_file();
  }

  pthread_t workers[WORKERS];
  for (long i = 0; i < WORKERS; ++i) pthread_create(&workers[i], NULL, worker, (void*)(i + 1));
  for (int i = 0; i < WORKERS; ++i) pthread_join(workers[i], NULL);

  printf("config loaded %d time%s (%s); the one in use has %d of %d workers registered\n", loads,
         loads == 1 ? "" : "s", config_path ? "from a file" : "built-in defaults", config->workers,
         WORKERS);
  if (loads != 1 || config->workers != WORKERS) {
    printf("verdict: FAIL: config loaded %d times, %d worker registration%s lost\n", loads,
           WORKERS - config->workers, WORKERS - config->workers == 1 ? "" : "s");
    return 1;
  }
  printf("verdict: ok: config loaded once, every worker registered\n");
  return 0;
}
