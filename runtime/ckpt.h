// Checkpoint files (LANGUAGE.md 7.3). A checkpoint is one file,
// DIR/checkpoint: a magic string, the file's length, the fingerprint of the
// program that wrote it, a body the run loop lays out, and an FNV-1a 64
// checksum over everything before it. It is written to DIR/checkpoint.tmp,
// fsynced and renamed, so a reader sees the previous checkpoint or the new
// one, never a mix. Reading checks every part and says what is wrong: the
// run never guesses.
// SPDX-License-Identifier: MIT
#ifndef VP_CKPT_H
#define VP_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pack.h"

// --checkpoint-dir, or NULL when checkpoints are off. Workers inherit it.
extern const char *vp_ckpt_dir;

// Writes body as DIR/checkpoint; returns 0 or a negative errno.
int vp_ckpt_write(const char *dir, uint64_t fingerprint, const vp_buf *body);

typedef enum vp_ckpt_status {
  VP_CKPT_NONE,  // no checkpoint in DIR
  VP_CKPT_OK,    // *body holds the body
  VP_CKPT_BAD,   // why says what is wrong (not readable, corrupt, foreign)
} vp_ckpt_status;

// Reads and checks DIR/checkpoint. On VP_CKPT_OK, body (empty on entry)
// holds a copy of the body; the caller frees it.
vp_ckpt_status vp_ckpt_read(const char *dir, uint64_t fingerprint,
                            vp_buf *body, char *why, size_t whylen);

// Where a worker leaves its state for the checkpoint in progress:
// DIR/state-rR-wS.tmp, read back and removed by the main process.
void vp_ckpt_state_path(char *buf, size_t size, int region, int slot);

// Reads a whole file into b (appended); returns 0 or a negative errno.
int vp_ckpt_slurp(const char *path, vp_buf *b);

// Bounds-checked reads of a body. A body passed its checksum and
// fingerprint, so a body that does not hold what it should means a bug,
// not bad luck: vp_ckpt_corrupt says so and ends the run (exit 1) rather
// than reading past the end; vp_ckpt_need calls it when fewer than n
// bytes are left.
_Noreturn void vp_ckpt_corrupt(void);
void vp_ckpt_need(const vp_rd *r, size_t n);

static inline int64_t vp_ckpt_i64(vp_rd *r) {
  vp_ckpt_need(r, sizeof(int64_t));
  return vp_rd_i64(r);
}

// A length-prefixed run of bytes (vp_buf_str), as a view into the body.
static inline vp_str vp_ckpt_str(vp_rd *r) {
  int64_t n = vp_ckpt_i64(r);
  if (n < 0)
    vp_ckpt_corrupt();
  vp_ckpt_need(r, (size_t)n);
  vp_str s = { (const char *)r->p, n };
  r->p += n;
  return s;
}

// Records keep their origin's input as a pointer to its name; state saved
// in a checkpoint refers to the input by its index among the run's inputs
// and connector sources instead (run.c), -1 for none.
int64_t vp_ckpt_input_ref(const char *input);
const char *vp_ckpt_input_at(int64_t ref);

#endif
