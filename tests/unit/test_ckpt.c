// Unit tests of checkpoints (LANGUAGE.md 7.3): the file format and what
// reading says about a damaged, truncated or foreign file (ckpt.c); state
// that goes through a save and a load and then behaves as if nothing had
// happened (windows, distinct sets); reading positions (input.c) and
// outputs cut back to a recorded length (output.c).
// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ckpt.h"
#include "distinct.h"
#include "fold.h"
#include "input.h"
#include "output.h"
#include "partition.h"
#include "run.h"
#include "scratch.h"
#include "window.h"

static void put_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

// The file format.

static const char ckpt_file[] = "checkpoint";

static vp_ckpt_status read_back(vp_buf *body, char *why) {
  body->n = 0;
  why[0] = 0;
  return vp_ckpt_read(scratch_dir, 42, body, why, 512);
}

static void write_body(void) {
  vp_buf body = { 0 };
  vp_buf_str(&body, VP_STR_LIT("state of the run"));
  assert_int_equal(vp_ckpt_write(scratch_dir, 42, &body), 0);
  vp_buf_free(&body);
}

static void expect_bad(const char *want) {
  vp_buf body = { 0 };
  char why[512], full[600];
  assert_int_equal(read_back(&body, why), VP_CKPT_BAD);
  snprintf(full, sizeof full, want, scratch_path(ckpt_file));
  assert_string_equal(why, full);
  vp_buf_free(&body);
}

static void test_ckpt_round_trip_and_no_temporary_left(void **state) {
  vp_buf body = { 0 };
  char why[512];
  unlink(scratch_path(ckpt_file));
  assert_int_equal(read_back(&body, why), VP_CKPT_NONE);
  write_body();
  assert_int_equal(read_back(&body, why), VP_CKPT_OK);
  vp_rd r = { body.p, body.p + body.n };
  vp_str s = vp_ckpt_str(&r);
  assert_int_equal(s.n, 16);
  assert_memory_equal(s.p, "state of the run", 16);
  assert_ptr_equal(r.p, r.end);
  struct stat st;
  assert_int_equal(stat(scratch_path("checkpoint.tmp"), &st), -1);
  // magic 8 + length 8 + fingerprint 8 + body (8 + 16) + checksum 8
  assert_int_equal(stat(scratch_path(ckpt_file), &st), 0);
  assert_int_equal(st.st_size, 56);
  vp_buf_free(&body);
}

static void test_ckpt_damage_is_reported(void **state) {
  write_body();
  FILE *f = fopen(scratch_path(ckpt_file), "r+b");
  assert_non_null(f);
  fseek(f, 30, SEEK_SET);
  fputc('X', f);  // one byte of the body
  fclose(f);
  expect_bad("checkpoint %s is corrupt (checksum mismatch)");

  write_body();
  assert_int_equal(truncate(scratch_path(ckpt_file), 40), 0);
  expect_bad("checkpoint %s is truncated or damaged (40 bytes, expected 56)");

  put_file(scratch_path(ckpt_file), "VPCKPT01\x38\0\0\0", 12);
  expect_bad("checkpoint %s is truncated (12 bytes)");

  put_file(scratch_path(ckpt_file), "VPCK", 4);
  expect_bad("checkpoint %s is not a vpc checkpoint");

  write_body();
  vp_buf body = { 0 };
  char why[512], want[600];
  assert_int_equal(vp_ckpt_read(scratch_dir, 43, &body, why, sizeof why),
                   VP_CKPT_BAD);
  snprintf(want, sizeof want,
           "checkpoint %s was written by another program (fingerprint "
           "000000000000002a, this program 000000000000002b); "
           "--reset-checkpoint starts over",
           scratch_path(ckpt_file));
  assert_string_equal(why, want);
  vp_buf_free(&body);
}

// Windows: each event is a vp_meta then its id; a release records the ids.

static char released[16][64];
static int nreleased;

static void record_release(const vp_win_batch *b) {
  char *s = released[nreleased++];
  s[0] = 0;
  for (size_t i = 0; i < b->n; i++) {
    const uint8_t *p = b->bytes + b->items[i].off + sizeof(vp_meta);
    strncat(s, (const char *)p, b->items[i].len - sizeof(vp_meta));
    b->out[i] = 1;
  }
}

static void add(vp_window *w, int key, int64_t t, const char *id) {
  vp_key k = { 0 };
  vp_key_i64(&k, VP_KEY_INT, key);
  vp_buf b = { 0 };
  vp_meta m;
  memset(&m, 0, sizeof m);
  vp_buf_put(&b, &m, sizeof m);
  vp_buf_put(&b, id, strlen(id));
  vp_window_add(w, &k, t, b.p, b.n);
  vp_buf_free(&b);
  free(k.p);
}

// Feeds the first n events to a new window, saving it and loading the
// state into another one after `cut` events (cut <= n; -1: never), then
// finishes it; returns the number of batches released.
static int feed(vp_win_kind kind, int64_t n_, int64_t dur, int64_t slide,
                int n, int cut) {
  static const char *const ids[] = { "a", "b", "c", "d", "e", "f",
                                     "g", "h", "i", "j", "k", "l" };
  static const int64_t times[] = { 0, 1, 2, 9, 10, 11, 30, 31, 32, 50, 51,
                                   52 };
  vp_window *w = vp_window_new(kind, n_, dur, slide, 0, record_release);
  nreleased = 0;
  for (int i = 0; i <= n; i++) {
    if (i == cut) {
      vp_buf saved = { 0 };
      vp_window_save(w, &saved);
      vp_window_free(w);
      w = vp_window_new(kind, n_, dur, slide, 0, record_release);
      vp_rd r = { saved.p, saved.p + saved.n };
      vp_window_load(w, &r);
      assert_ptr_equal(r.p, r.end);
      vp_buf_free(&saved);
    }
    if (i < n)
      add(w, i % 2, times[i], ids[i]);
  }
  vp_window_finish(w, true, NULL);
  vp_window_free(w);
  return nreleased;
}

// A window saved and loaded halfway releases the same batches as one that
// never was, whether events follow or the input ends at once.
static void check_window_survives(vp_win_kind kind, int64_t n, int64_t dur,
                                  int64_t slide) {
  char want[16][64];
  for (int stop = 5; stop <= 12; stop += 7) {
    int total = feed(kind, n, dur, slide, stop, -1);
    memcpy(want, released, sizeof want);
    assert_int_equal(feed(kind, n, dur, slide, stop, 5), total);
    for (int i = 0; i < total; i++)
      assert_string_equal(released[i], want[i]);
  }
}

static void test_ckpt_window_state_survives(void **state) {
  vp_stream_counts counts[2] = { 0 };
  vp_counts = counts;
  check_window_survives(VP_WIN_COUNT, 2, 0, 0);
  check_window_survives(VP_WIN_COUNT_SLIDING, 3, 0, 2);
  check_window_survives(VP_WIN_TIME, 0, 10, 0);
  check_window_survives(VP_WIN_TIME_SLIDING, 0, 10, 5);
  check_window_survives(VP_WIN_SESSION, 0, 5, 0);
  vp_counts = NULL;
}

// Folding windows: each event is a vp_meta then its id, and adds its
// index to the state; a release records the count, the sum, the first and
// last ids and the error.

static const char *fold_hand;  // the id of the event in hand

static const char *packed_id(const uint8_t *p, size_t len, char *buf) {
  snprintf(buf, 8, "%.*s", (int)(len - sizeof(vp_meta)),
           (const char *)p + sizeof(vp_meta));
  return buf;
}

static int64_t record_fold(const vp_fold_batch *b) {
  char first[8], last[8];
  snprintf(released[nreleased++], sizeof released[0],
           "n=%lld sum=%lld first=%s last=%s err=%s", (long long)b->n,
           (long long)*(const int64_t *)b->state,
           packed_id(b->first, b->first_len, first),
           b->last ? packed_id(b->last, b->last_len, last) : fold_hand,
           b->err_kind ? b->err_message.p : "-");
  return 1;
}

static int feed_fold(int n, int cut) {
  static const char *const ids[] = { "a", "b", "c", "d", "e", "f",
                                     "g", "h", "i", "j", "k", "l" };
  static const int64_t zero = 0;
  vp_fold *f = vp_fold_new(4, 0, &zero, sizeof zero, true, record_fold);
  nreleased = 0;
  for (int i = 0; i <= n; i++) {
    if (i == cut) {
      vp_buf saved = { 0 };
      vp_fold_save(f, &saved);
      vp_fold_free(f);
      f = vp_fold_new(4, 0, &zero, sizeof zero, true, record_fold);
      vp_rd r = { saved.p, saved.p + saved.n };
      vp_fold_load(f, &r);
      assert_ptr_equal(r.p, r.end);
      vp_buf_free(&saved);
    }
    if (i == n)
      break;
    vp_key k = { 0 };
    vp_key_i64(&k, VP_KEY_INT, i % 2);
    int64_t *sum = vp_fold_add(f, &k);
    if (vp_fold_wants_event(f)) {
      vp_buf b = { 0 };
      vp_meta m;
      memset(&m, 0, sizeof m);
      vp_buf_put(&b, &m, sizeof m);
      vp_buf_put(&b, ids[i], strlen(ids[i]));
      vp_fold_keep(f, b.p, b.n);
      vp_buf_free(&b);
    }
    if (sum && i == 3)
      vp_fold_fail(f, "error", (vp_str){ "boom", 4 });
    else if (sum)
      *sum += i;
    fold_hand = ids[i];
    vp_fold_done(f);
    free(k.p);
  }
  vp_fold_finish(f, true, NULL);
  vp_fold_free(f);
  return nreleased;
}

// A folding window saved and loaded at any point releases the same
// windows, with the same first and last events and errors, as one that
// never was; windows left open at the end of input are released.
static void test_ckpt_fold_state_survives(void **state) {
  vp_stream_counts counts[1] = { 0 };
  vp_counts = counts;
  vp_flush_windows = true;
  assert_int_equal(feed_fold(11, -1), 4);
  assert_string_equal(released[0], "n=4 sum=12 first=a last=g err=-");
  assert_string_equal(released[1], "n=4 sum=1 first=b last=h err=boom");
  assert_string_equal(released[2], "n=2 sum=18 first=i last=k err=-");
  assert_string_equal(released[3], "n=1 sum=9 first=j last=j err=-");
  char want[16][64];
  memcpy(want, released, sizeof want);
  for (int cut = 0; cut <= 11; cut++) {
    assert_int_equal(feed_fold(11, cut), 4);
    for (int i = 0; i < 4; i++)
      assert_string_equal(released[i], want[i]);
  }
  assert_int_equal(counts[0].passed, 11 * 13);
  assert_int_equal(counts[0].dead_lettered, 0);
  vp_flush_windows = false;
  vp_counts = NULL;
}

static bool seen(vp_distinct *d, const vp_key *part, const char *key) {
  return vp_distinct_seen(d, part, (const uint8_t *)key, strlen(key));
}

// A loaded LRU has the same keys in the same recency order: the next new
// key evicts the same one.
static void test_ckpt_distinct_keeps_recency(void **state) {
  vp_distinct *d = vp_distinct_new(3);
  vp_key p = { 0 };
  vp_key_str(&p, VP_STR_LIT("p"));
  seen(d, NULL, "a");
  seen(d, NULL, "b");
  seen(d, NULL, "c");
  seen(d, NULL, "a");  // b is now the least recent
  seen(d, &p, "x");
  vp_buf saved = { 0 };
  vp_distinct_save(d, &saved);
  vp_distinct_free(d);
  d = vp_distinct_new(3);
  vp_rd r = { saved.p, saved.p + saved.n };
  vp_distinct_load(d, &r);
  assert_ptr_equal(r.p, r.end);
  assert_false(seen(d, NULL, "d"));  // evicts b
  assert_true(seen(d, NULL, "a"));
  assert_true(seen(d, NULL, "c"));
  assert_false(seen(d, NULL, "b"));
  assert_true(seen(d, &p, "x"));
  assert_false(seen(d, &p, "a"));
  free(p.p);
  vp_buf_free(&saved);
  vp_distinct_free(d);
}

// Positions: a second reader sought to where the first stood reads on
// with the same records, numbers and lines.
static void test_ckpt_input_seek_goes_on(void **state) {
  static const char one[] = "A { n: 1 }\n# note\nA { n: 2 }\n";
  static const char two[] = "BATCH 5\nA { n: 3 }\nA { n: 4 }\n";
  char p1[256], p2[256];
  snprintf(p1, sizeof p1, "%s", scratch_path("one.evt"));
  snprintf(p2, sizeof p2, "%s", scratch_path("two.evt"));
  put_file(p1, one, strlen(one));
  put_file(p2, two, strlen(two));
  const char *paths[] = { p1, p2 };
  vp_arena a = { 0 };
  vp_event ev;
  const char *msg;
  vp_input *in = vp_input_open(paths, 2, VP_FORMAT_AUTO, NULL, 0);
  assert_non_null(in);
  assert_int_equal(vp_input_size(in, 0), (int64_t)strlen(one));
  for (int i = 0; i < 3; i++)
    assert_int_equal(vp_input_next(in, &a, &ev, &msg), VP_READ_RECORD);
  vp_input_pos pos;
  vp_input_tell(in, &pos);
  assert_int_equal(pos.cur, 1);
  assert_int_equal(pos.offset, 19);  // after "BATCH 5\nA { n: 3 }\n"
  assert_int_equal(pos.seq, 3);
  assert_true(pos.batch_set);
  uint64_t tail = vp_input_tail_hash(in, &pos);
  assert_int_not_equal(tail, 0);
  assert_int_equal(vp_input_next(in, &a, &ev, &msg), VP_READ_RECORD);
  vp_event want = ev;
  vp_input_close(in);

  in = vp_input_open(paths, 2, VP_FORMAT_AUTO, NULL, 0);
  assert_int_equal(vp_input_tail_hash(in, &pos), tail);
  assert_int_equal(vp_input_seek(in, &pos), 0);
  assert_int_equal(vp_input_next(in, &a, &ev, &msg), VP_READ_RECORD);
  assert_int_equal(ev.origin.seq, 3);
  assert_int_equal(ev.origin.line, 3);
  assert_string_equal(ev.origin.input, p2);
  assert_int_equal(ev.time_ns, want.time_ns);
  assert_int_equal(ev.raw.n, 10);
  assert_memory_equal(ev.raw.p, "A { n: 4 }", 10);
  assert_int_equal(vp_input_next(in, &a, &ev, &msg), VP_READ_END);
  vp_input_close(in);
  vp_arena_free(&a);
}

static void test_ckpt_output_cut_to_length(void **state) {
  const char *path = scratch_path("out.jsonl");
  put_file(path, "{\"a\":1}\n{\"a\":2}\n{\"a", 19);
  vp_out *o = vp_out_open_at(path, 16, 2, false);
  assert_non_null(o);
  assert_int_equal(vp_out_records(o), 2);
  vp_out_raw(o, "{\"a\":3}\n", 8);
  assert_int_equal(vp_out_sync(o), 24);
  assert_int_equal(vp_out_close(o), 0);
  FILE *f = fopen(path, "rb");
  char buf[64] = { 0 };
  assert_int_equal(fread(buf, 1, sizeof buf, f), 24);
  fclose(f);
  assert_string_equal(buf, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
  errno = 0;
  assert_null(vp_out_open_at(path, 100, 0, false));
  assert_int_equal(errno, ERANGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ckpt_round_trip_and_no_temporary_left),
    cmocka_unit_test(test_ckpt_damage_is_reported),
    cmocka_unit_test(test_ckpt_window_state_survives),
    cmocka_unit_test(test_ckpt_fold_state_survives),
    cmocka_unit_test(test_ckpt_distinct_keeps_recency),
    cmocka_unit_test(test_ckpt_input_seek_goes_on),
    cmocka_unit_test(test_ckpt_output_cut_to_length),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
