// A power cut for one SQLite database, as an LD_PRELOAD shim (used by test/e2e/power-cut.test.ts).
//
// The model: a write reaches the disk only when its file is synced; a power cut loses every write
// not synced yet. The shim keeps, for the database named by POWERCUT_DB and its -wal file, a
// "durable image" in the folder POWERCUT_IMAGES: each time fsync or fdatasync succeeds on
// one of them (through any descriptor, as the kernel syncs a file, not a descriptor), the file's
// whole content is copied to its image, atomically (a copy, then a rename), so a SIGKILL in the
// middle of it leaves the previous image. The test SIGKILLs the process and puts the images back in
// place of the files: what a power cut at that instant would have left. A file with no image (never
// synced, like the -shm, which SQLite never syncs) did not survive the cut. Not modelled: folders
// (a created or deleted file counts as such at once), so the rollback journal that SQLite writes
// and deletes once, when a new file switches to WAL, is left out: its image would come back as a
// hot journal that never was.
//
// Build: cc -shared -fPIC -O2 -o power-cut.so power-cut.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** The path of `fd` if it is the database or its WAL; else NULL. */
static const char *tracked(int fd, char *path) {
  const char *db = getenv("POWERCUT_DB");
  if (db == NULL || getenv("POWERCUT_IMAGES") == NULL) return NULL;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, PATH_MAX - 1);
  if (n < 0) return NULL;
  path[n] = '\0';
  size_t len = strlen(db);
  if (strncmp(path, db, len) != 0) return NULL;
  const char *suffix = path + len;
  return *suffix == '\0' || strcmp(suffix, "-wal") == 0 ? path : NULL;
}

static void copy_or_die(const char *from, const char *to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in < 0 || out < 0) abort();
  char buf[16384];
  for (;;) {
    ssize_t got = read(in, buf, sizeof buf);
    if (got < 0) abort();
    if (got == 0) break;
    for (ssize_t done = 0; done < got;) {
      ssize_t wrote = write(out, buf + done, (size_t)(got - done));
      if (wrote < 0) abort();
      done += wrote;
    }
  }
  close(in);
  close(out);
}

/** The file behind `fd` was just synced: its content is now durable. */
static void keep_image(int fd) {
  char path[PATH_MAX];
  if (tracked(fd, path) == NULL) return;
  char image[PATH_MAX], partial[PATH_MAX + 16];
  snprintf(image, sizeof image, "%s/%s", getenv("POWERCUT_IMAGES"), strrchr(path, '/') + 1);
  snprintf(partial, sizeof partial, "%s.partial", image);
  copy_or_die(path, partial);
  if (rename(partial, image) != 0) abort();
}

int fsync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  int rc = real(fd);
  if (rc == 0) keep_image(fd);
  return rc;
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  int rc = real(fd);
  if (rc == 0) keep_image(fd);
  return rc;
}
