// A scratch directory for the unit tests that read and write files:
// scratch_setup makes it, scratch_teardown removes it with what it holds,
// scratch_path names a file in it; slurp reads a whole file back.
// SPDX-License-Identifier: MIT
#ifndef VP_TEST_SCRATCH_H
#define VP_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char scratch_dir[] = "/tmp/vp_test_XXXXXX";

static inline int scratch_setup(void **state) {
  (void)state;
  return mkdtemp(scratch_dir) ? 0 : -1;
}

static inline int scratch_teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", scratch_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static inline const char *scratch_path(const char *name) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
  return path;
}

// Returns the whole file (static buffer), or NULL when it does not exist.
static inline const char *slurp(const char *path) {
  static char buf[1 << 16];
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

#endif
