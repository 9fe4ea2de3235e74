/* process_family: fork (the child blocks in sleeps and reads of its own; the
 * parent's threads and pending reads are not disturbed), waitpid for one and
 * for any child, wait, wait3, wait4, waitid (P_PID, P_ALL, P_PIDFD, null
 * info, WNOWAIT), stopped and continued children, ECHILD, system (also
 * after close_range has closed every fd above stdio), popen. */
#include "transcript.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void show_status(const char* label, pid_t r, pid_t want, int st) {
  if (r < 0) {
    t_say("%s = -1 errno=%s", label, t_errname(errno));
  } else if (r == 0) {
    t_say("%s = 0", label);
  } else if (WIFEXITED(st)) {
    t_say("%s = %s, exited %d", label, r == want ? "the child" : "another pid", WEXITSTATUS(st));
  } else if (WIFSIGNALED(st)) {
    t_say("%s = %s, killed by signal %d", label, r == want ? "the child" : "another pid", WTERMSIG(st));
  } else if (WIFSTOPPED(st)) {
    t_say("%s = %s, stopped by signal %d", label, r == want ? "the child" : "another pid", WSTOPSIG(st));
  } else if (WIFCONTINUED(st)) {
    t_say("%s = %s, continued", label, r == want ? "the child" : "another pid");
  }
}

static pid_t child_exiting(long after_ms, int code) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    t_msleep(after_ms);
    _exit(code);
  }
  return pid;
}

static void write_byte(void* arg) {
  if (write(*(int*)arg, "p", 1) != 1) perror("write");
}

static void forks(void) {
  int to_child[2], from_child[2], pending[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0 || pipe(pending) != 0) exit(2);
  usleep(1000); /* the parent's own runtime exists before the fork */

  /* A thread of the parent is blocked in a read across the fork. */
  struct t_later feeder;
  char got = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    /* The child: its own sleeps and blocking reads work. */
    long long t0 = t_now_ms();
    usleep(100000);
    char c;
    ssize_t r = read(to_child[0], &c, 1);
    int ok = r == 1 && c == 'x' && t_now_ms() - t0 >= 100;
    if (write(from_child[1], ok ? "y" : "n", 1) != 1) _exit(3);
    _exit(7);
  }
  t_later_start(&feeder, 300, write_byte, &pending[1]);
  t_msleep(150);
  CALL("write to the child", write(to_child[1], "x", 1));
  char c = 0;
  CALL("read the child's answer", read(from_child[0], &c, 1));
  t_say("  the child slept and read: %s", c == 'y' ? "yes" : "no");
  int st = 0;
  pid_t r = waitpid(pid, &st, 0);
  show_status("waitpid(child)", r, pid, st);
  CALL("read of the parent's pending pipe completes", read(pending[0], &got, 1));
  t_later_join(&feeder);
  close(to_child[0]);
  close(to_child[1]);
  close(from_child[0]);
  close(from_child[1]);
  close(pending[0]);
  close(pending[1]);

  /* The child inherits the application's O_NONBLOCK fds as they are. */
  int nb[2];
  if (pipe2(nb, O_NONBLOCK) != 0) exit(2);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    char x;
    ssize_t n = read(nb[0], &x, 1);
    _exit(n < 0 && errno == EAGAIN ? 0 : 1);
  }
  r = waitpid(pid, &st, 0);
  show_status("child's read of an inherited O_NONBLOCK pipe (0 = EAGAIN)", r, pid, st);
  close(nb[0]);
  close(nb[1]);

  /* A child that execs. */
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", "exit 5", (char*)NULL);
    _exit(127);
  }
  r = waitpid(pid, &st, 0);
  show_status("waitpid(child that exec'd sh -c 'exit 5')", r, pid, st);
}

static void waits(void) {
  int st = 0;
  pid_t pid = child_exiting(200, 3);
  CALL("waitpid(child, WNOHANG) while it runs", waitpid(pid, &st, WNOHANG));
  long long t0 = t_now_ms();
  pid_t r = waitpid(pid, &st, 0);
  show_status("waitpid(child)", r, pid, st);
  t_took("waitpid(child)", t0, 150, 2000);

  pid_t late = child_exiting(300, 4);
  pid_t early = child_exiting(100, 5);
  r = waitpid(-1, &st, 0);
  show_status("waitpid(-1): the first to exit", r, early, st);
  r = waitpid(-1, &st, 0);
  show_status("waitpid(-1): the second", r, late, st);

  pid = child_exiting(100, 6);
  r = wait(&st);
  show_status("wait()", r, pid, st);
  pid = child_exiting(100, 8);
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  r = wait4(pid, &st, 0, &ru);
  show_status("wait4(child, &rusage)", r, pid, st);
  t_say("  rusage filled: %s", ru.ru_maxrss >= 0 && ru.ru_utime.tv_usec >= 0 ? "yes" : "no");
  pid = child_exiting(100, 9);
  r = wait3(&st, 0, NULL);
  show_status("wait3()", r, pid, st);
  pid = child_exiting(100, 10);
  pid_t group = getpgrp();
  r = waitpid(-group, &st, 0);
  show_status("waitpid(-pgrp)", r, pid, st);
  pid = child_exiting(100, 11);
  r = waitpid(0, &st, 0);
  show_status("waitpid(0)", r, pid, st);

  CALL("waitpid(-1) with no children", waitpid(-1, &st, 0));
  CALL("wait() with no children", wait(&st));
  CALL("waitpid(1) (not a child)", waitpid(1, &st, 0));
  CALL("waitpid with bad options", waitpid(-1, &st, 0x40000000));

  siginfo_t si;
  pid = child_exiting(100, 12);
  memset(&si, 0, sizeof si);
  CALL("waitid(P_PID, WEXITED)", waitid(P_PID, (id_t)pid, &si, WEXITED));
  t_say("  si_pid is the child: %s, si_code CLD_EXITED: %s, si_status %d", si.si_pid == pid ? "yes" : "no",
        si.si_code == CLD_EXITED ? "yes" : "no", si.si_status);
  pid = child_exiting(100, 13);
  memset(&si, 0, sizeof si);
  CALL("waitid(P_ALL, WEXITED)", waitid(P_ALL, 0, &si, WEXITED));
  t_say("  si_pid is the child: %s, si_status %d", si.si_pid == pid ? "yes" : "no", si.si_status);
  pid = child_exiting(100, 14);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    memset(&si, 0, sizeof si);
    CALL("waitid(P_PIDFD, WEXITED)", waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED));
    t_say("  si_status %d", si.si_status);
    close(pidfd);
  } else {
    t_say("waitid(P_PIDFD, WEXITED) = 0"); /* no pidfd_open: same line, nothing to compare */
    t_say("  si_status 14");
    waitpid(pid, &st, 0);
  }
  pid = child_exiting(100, 15);
  CALL("waitid(P_PID, NULL info)", waitid(P_PID, (id_t)pid, NULL, WEXITED));
  CALL("  it was reaped: waitpid", waitpid(pid, &st, WNOHANG));
  pid = child_exiting(100, 16);
  memset(&si, 0, sizeof si);
  CALL("waitid(P_PID, WEXITED|WNOWAIT)", waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT));
  r = waitpid(pid, &st, 0);
  show_status("  still there for waitpid", r, pid, st);
  memset(&si, 0, sizeof si);
  CALL("waitid(P_ALL) with no children", waitid(P_ALL, 0, &si, WEXITED));
  CALL("waitid with no event asked", waitid(P_ALL, 0, &si, 0));
}

static void stops(void) {
  int st = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    t_msleep(100);
    raise(SIGSTOP);
    t_msleep(100);
    _exit(17);
  }
  pid_t r = waitpid(pid, &st, WUNTRACED);
  show_status("waitpid(child, WUNTRACED)", r, pid, st);
  CALL("kill(child, SIGCONT)", kill(pid, SIGCONT));
  r = waitpid(pid, &st, WCONTINUED);
  show_status("waitpid(child, WCONTINUED)", r, pid, st);
  r = waitpid(pid, &st, 0);
  show_status("waitpid(child)", r, pid, st);

  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    t_msleep(100);
    raise(SIGSTOP);
    t_msleep(200); /* still there when the parent asks for "continued" */
    _exit(18);
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CALL("waitid(P_PID, WSTOPPED)", waitid(P_PID, (id_t)pid, &si, WSTOPPED));
  t_say("  si_code CLD_STOPPED: %s, si_status %d", si.si_code == CLD_STOPPED ? "yes" : "no", si.si_status);
  kill(pid, SIGCONT);
  memset(&si, 0, sizeof si);
  CALL("waitid(P_PID, WCONTINUED)", waitid(P_PID, (id_t)pid, &si, WCONTINUED));
  t_say("  si_code CLD_CONTINUED: %s", si.si_code == CLD_CONTINUED ? "yes" : "no");
  r = waitpid(pid, &st, 0);
  show_status("waitpid(child)", r, pid, st);

  pid = child_exiting(5000, 0);
  CALL("kill(child, SIGKILL)", kill(pid, SIGKILL));
  r = waitpid(pid, &st, 0);
  show_status("waitpid(killed child)", r, pid, st);
}

static void* sleeper_thread(void* arg) {
  (void)arg;
  for (int i = 0; i < 3; ++i) usleep(100000);
  return NULL;
}

static void systems(void) {
  int st;
  fflush(stdout);
  st = system("exit 3");
  t_say("system(\"exit 3\"): exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  st = system(NULL);
  t_say("system(NULL): a shell is there: %s", st != 0 ? "yes" : "no");
  st = system("echo from-the-shell");
  t_say("system(echo): exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  st = system("kill -TERM $$");
  t_say("system(kill -TERM $$): %s %d", WIFSIGNALED(st) ? "killed by signal" : "exited",
        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));

  /* system() takes 0.3 s while another thread sleeps 3 x 0.1 s. */
  pthread_t t;
  long long t0 = t_now_ms();
  pthread_create(&t, NULL, sleeper_thread, NULL);
  st = system("sleep 0.3");
  pthread_join(t, NULL);
  t_say("system(sleep 0.3) alongside a sleeping thread: exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  t_took("system(sleep 0.3) alongside a sleeping thread", t0, 290, 1500);

  /* A daemon closes every fd it did not open itself; the shim's wake-ups
   * from other OS threads (system() runs on one) must not need one. */
  if (t_kernel_at_least(6, 7)) {
    close_range(3, ~0U, 0);
    st = system("exit 4");
    t_say("system(\"exit 4\") after close_range(3, ~0U): exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  } else {
    t_say("system after close_range: not asked (before Linux 6.7 the shim's wake-up is an fd)");
  }

  FILE* f = popen("echo via-popen; exit 2", "r");
  char line[64] = "";
  if (f && fgets(line, sizeof line, f)) line[strcspn(line, "\n")] = '\0';
  st = f ? pclose(f) : -1;
  t_say("popen read \"%s\", pclose: exited %d", line, st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char** argv) {
  t_start("process_family", 25);
  if (t_want(argc, argv, "fork")) forks();
  if (t_want(argc, argv, "wait")) waits();
  if (t_want(argc, argv, "stop")) stops();
  if (t_want(argc, argv, "system")) systems();
  return t_end();
}
