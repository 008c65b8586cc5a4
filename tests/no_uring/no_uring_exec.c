/* no_uring_exec: runs a command with io_uring denied, as on hosts whose
 * seccomp profile (Docker's default since 25.0, many CI sandboxes) or
 * kernel.io_uring_disabled blocks it.
 *
 * Installs a seccomp BPF filter (after PR_SET_NO_NEW_PRIVS, so no privilege
 * is needed) that makes io_uring_setup, io_uring_enter and
 * io_uring_register fail with EPERM and allows every other system call,
 * then execs argv[1..]. The filter is inherited by every child and survives
 * exec, so `no_uring_exec ctest ...` runs a whole test suite without
 * io_uring. Sets SHARDKIT_NO_URING=1 in the environment so logs can say so.
 *
 * Usage: no_uring_exec COMMAND [ARGS...]
 *        no_uring_exec --self-test   (installs the filter, calls
 *        io_uring_setup, exits 0 when it failed with EPERM)
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

static int InstallFilter(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
  };
  struct sock_fprog program = {(unsigned short)(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fprintf(stderr, "no_uring_exec: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
    return -1;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    fprintf(stderr, "no_uring_exec: prctl(PR_SET_SECCOMP): %s\n", strerror(errno));
    return -1;
  }
  return 0;
}

static int SelfTest(void) {
  unsigned char params[120]; /* struct io_uring_params */
  memset(params, 0, sizeof(params));
  long fd = syscall(__NR_io_uring_setup, 4, params);
  if (fd >= 0) {
    fprintf(stderr, "no_uring_exec: self-test FAILED: io_uring_setup succeeded\n");
    close((int)fd);
    return 1;
  }
  if (errno != EPERM) {
    fprintf(stderr, "no_uring_exec: self-test FAILED: io_uring_setup: %s, expected EPERM\n",
            strerror(errno));
    return 1;
  }
  printf("no_uring_exec: io_uring_setup denied: %s\n", strerror(errno));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s COMMAND [ARGS...] | --self-test\n", argv[0]);
    return 2;
  }
  if (InstallFilter() != 0) return 2;
  if (strcmp(argv[1], "--self-test") == 0) return SelfTest();
  setenv("SHARDKIT_NO_URING", "1", 1);
  execvp(argv[1], argv + 1);
  fprintf(stderr, "no_uring_exec: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}
