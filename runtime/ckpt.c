// Checkpoint files (see ckpt.h).
// SPDX-License-Identifier: MIT
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "partition.h"

#define MAGIC "VPCKPT01"
enum {
  MAGIC_LEN = 8,
  HEAD_LEN = MAGIC_LEN + 16,  // magic, file length, fingerprint
  TAIL_LEN = 8,               // checksum
};

const char *vp_ckpt_dir;

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -errno;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int rc = fsync(fd) < 0 ? -errno : 0;
  close(fd);
  return rc;
}

int vp_ckpt_write(const char *dir, uint64_t fingerprint, const vp_buf *body) {
  vp_buf f = { 0 };
  uint64_t len = HEAD_LEN + body->n + TAIL_LEN;
  vp_buf_put(&f, MAGIC, MAGIC_LEN);
  vp_buf_put(&f, &len, sizeof len);
  vp_buf_put(&f, &fingerprint, sizeof fingerprint);
  vp_buf_put(&f, body->p, body->n);
  uint64_t sum = vp_fnv1a64(VP_FNV_OFFSET, f.p, f.n);
  vp_buf_put(&f, &sum, sizeof sum);

  char tmp[4096], final[4096];
  snprintf(tmp, sizeof tmp, "%s/checkpoint.tmp", dir);
  snprintf(final, sizeof final, "%s/checkpoint", dir);
  int rc = 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    rc = -errno;
  if (rc == 0)
    rc = write_all(fd, f.p, f.n);
  if (rc == 0 && fsync(fd) < 0)
    rc = -errno;
  if (fd >= 0 && close(fd) < 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, final) < 0)
    rc = -errno;
  if (rc == 0)
    rc = sync_dir(dir);
  vp_buf_free(&f);
  return rc;
}

int vp_ckpt_slurp(const char *path, vp_buf *b) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int rc = 0;
  for (;;) {
    if (b->cap - b->n < 65536)
      vp_buf_grow(b, 65536);
    ssize_t r = read(fd, b->p + b->n, b->cap - b->n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      rc = -errno;
    if (r <= 0)
      break;
    b->n += (size_t)r;
  }
  close(fd);
  return rc;
}

// Checks a file's bytes in the order that gives the most useful message:
// what it is, whether it is whole, whether it is intact, whose it is.
static vp_ckpt_status check(const char *path, const vp_buf *f,
                            uint64_t fingerprint, char *why, size_t whylen) {
  if (f->n < MAGIC_LEN || memcmp(f->p, MAGIC, MAGIC_LEN) != 0) {
    snprintf(why, whylen, "checkpoint %s is not a vpc checkpoint", path);
    return VP_CKPT_BAD;
  }
  uint64_t len = 0, theirs = 0, sum = 0;
  if (f->n < HEAD_LEN + TAIL_LEN) {
    snprintf(why, whylen, "checkpoint %s is truncated (%zu bytes)", path,
             f->n);
    return VP_CKPT_BAD;
  }
  memcpy(&len, f->p + MAGIC_LEN, sizeof len);
  if (len != f->n) {
    snprintf(why, whylen,
             "checkpoint %s is truncated or damaged (%zu bytes, expected "
             "%llu)",
             path, f->n, (unsigned long long)len);
    return VP_CKPT_BAD;
  }
  memcpy(&sum, f->p + f->n - TAIL_LEN, sizeof sum);
  if (vp_fnv1a64(VP_FNV_OFFSET, f->p, f->n - TAIL_LEN) != sum) {
    snprintf(why, whylen, "checkpoint %s is corrupt (checksum mismatch)",
             path);
    return VP_CKPT_BAD;
  }
  memcpy(&theirs, f->p + MAGIC_LEN + 8, sizeof theirs);
  if (theirs != fingerprint) {
    snprintf(why, whylen,
             "checkpoint %s was written by another program (fingerprint "
             "%016llx, this program %016llx); --reset-checkpoint starts "
             "over",
             path, (unsigned long long)theirs,
             (unsigned long long)fingerprint);
    return VP_CKPT_BAD;
  }
  return VP_CKPT_OK;
}

vp_ckpt_status vp_ckpt_read(const char *dir, uint64_t fingerprint,
                            vp_buf *body, char *why, size_t whylen) {
  char path[4096];
  snprintf(path, sizeof path, "%s/checkpoint", dir);
  vp_buf f = { 0 };
  int rc = vp_ckpt_slurp(path, &f);
  if (rc == -ENOENT) {
    vp_buf_free(&f);
    return VP_CKPT_NONE;
  }
  vp_ckpt_status st = VP_CKPT_BAD;
  if (rc < 0)
    snprintf(why, whylen, "cannot read checkpoint %s: %s", path,
             strerror(-rc));
  else
    st = check(path, &f, fingerprint, why, whylen);
  if (st == VP_CKPT_OK)
    vp_buf_put(body, f.p + HEAD_LEN, f.n - HEAD_LEN - TAIL_LEN);
  vp_buf_free(&f);
  return st;
}

void vp_ckpt_state_path(char *buf, size_t size, int region, int slot) {
  snprintf(buf, size, "%s/state-r%d-w%d.tmp", vp_ckpt_dir, region, slot);
}

void vp_ckpt_corrupt(void) {
  vp_log(VP_LOG_ERROR, "checkpoint body is not what this executable "
                       "wrote: it cannot read it");
  exit(1);
}

void vp_ckpt_need(const vp_rd *r, size_t n) {
  if ((size_t)(r->end - r->p) < n)
    vp_ckpt_corrupt();
}
