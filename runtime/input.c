// Input readers (see input.h). Each input is read with read(2) into one big
// buffer; a line is copied once into the record's arena and parsed there by
// json.c or evt.c, so strings are views into that copy and a record costs
// no malloc. This file owns lines, positions, sequence numbers, the format
// switch, event time (rules 2-4 of LANGUAGE.md 8.5) and the vp_as_* decoders.
// SPDX-License-Identifier: MIT
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civil.h"
#include "evt.h"
#include "json.h"
#include "log.h"
#include "partition.h"
#include "scan.h"

enum { READ_CHUNK = 256 * 1024 };

typedef struct source {
  const char *path;
  int fd;
  int64_t size;  // at open, -1 when not a regular file
} source;

struct vp_input {
  source *srcs;
  int nsrc;
  int cur;  // source being read
  vp_format fmt;

  char *buf;  // unconsumed bytes are buf[beg..end)
  size_t cap;
  size_t beg;
  size_t end;
  bool eof;       // the current source has nothing more to read
  bool mem;       // buf is the caller's memory (vp_input_open_mem)
  bool skipping;  // dropping the rest of an overlong line

  int64_t read_off;  // bytes of the current source read into buf
  int64_t line;  // lines of the current source so far
  int64_t seq;
  int64_t bytes;
  bool batch_set;  // a BATCH n line came earlier in this source
  int64_t batch_ns;
  int64_t last_time;
  int err;
  volatile sig_atomic_t *stop;
  void (*idle)(int fd);
  vp_fast_reader fast;
  vp_scan scan;
};

static vp_input *new_input(int nsrc, vp_format fmt) {
  vp_input *in = calloc(1, sizeof *in);
  if (!in)
    vp_arena_oom();
  in->srcs = calloc((size_t)nsrc, sizeof *in->srcs);
  if (!in->srcs)
    vp_arena_oom();
  in->nsrc = nsrc;
  in->fmt = fmt;
  for (int i = 0; i < nsrc; i++)
    in->srcs[i].fd = -1;
  return in;
}

static int open_path(const char *path) {
  if (strcmp(path, "-") == 0)
    return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;

  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return -EISDIR;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return fd;
}

vp_input *vp_input_open(const char *const *paths, int npaths, vp_format fmt,
                        char *whybuf, size_t whylen) {
  static const char *const stdin_only[] = { "-" };
  if (npaths <= 0) {
    paths = stdin_only;
    npaths = 1;
  }

  vp_input *in = new_input(npaths, fmt);
  for (int i = 0; i < npaths; i++) {
    int fd = open_path(paths[i]);
    if (fd < 0) {
      if (whybuf && whylen)
        snprintf(whybuf, whylen, "cannot open input %s: %s", paths[i],
                 strerror(-fd));
      vp_input_close(in);
      return NULL;
    }
    struct stat st;
    in->srcs[i].path = paths[i];
    in->srcs[i].fd = fd;
    in->srcs[i].size =
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
  }

  in->cap = VP_SCAN_MAX_LINE + 2 + READ_CHUNK;
  in->buf = malloc(in->cap);
  if (!in->buf)
    vp_arena_oom();
  return in;
}

vp_input *vp_input_open_mem(const char *data, size_t n, const char *name,
                            vp_format fmt) {
  vp_input *in = new_input(1, fmt);
  in->srcs[0].path = name;
  in->buf = (char *)data;
  in->cap = n;
  in->end = n;
  in->eof = true;
  in->mem = true;
  return in;
}

void vp_input_set_stop(vp_input *in, volatile sig_atomic_t *flag) {
  in->stop = flag;
}

void vp_input_set_idle(vp_input *in, void (*idle)(int fd)) {
  in->idle = idle;
}

void vp_input_set_time(vp_input *in, int64_t ns) {
  in->last_time = ns;
}

void vp_input_set_fast(vp_input *in, vp_fast_reader fast) {
  in->fast = fast;
}

int vp_input_error(const vp_input *in) {
  return in->err;
}

int64_t vp_input_bytes(const vp_input *in) {
  return in->bytes;
}

void vp_input_close(vp_input *in) {
  if (!in)
    return;
  for (int i = 0; i < in->nsrc; i++) {
    if (in->srcs[i].fd > 0)
      close(in->srcs[i].fd);
  }
  if (!in->mem)
    free(in->buf);
  vp_scan_free(&in->scan);
  free(in->srcs);
  free(in);
}

// Moves to the next input: positions and BATCH offsets start again.
static void next_source(vp_input *in) {
  source *src = &in->srcs[in->cur];
  if (src->fd > 0)
    close(src->fd);
  src->fd = -1;
  in->cur++;
  in->beg = in->end = 0;
  in->read_off = 0;
  in->eof = in->mem;
  in->skipping = false;
  in->line = 0;
  in->batch_set = false;
}

// Whether reading source src now would block: it is a pipe or a terminal
// with nothing to read yet. A regular file never blocks.
static bool would_block(const source *src) {
  struct pollfd p = { src->fd, POLLIN, 0 };
  return src->size < 0 && poll(&p, 1, 0) == 0;
}

// Reads more of the current source after the unconsumed bytes. Returns
// false when interrupted by a stop request.
static bool fill(vp_input *in) {
  if (in->beg > 0) {
    memmove(in->buf, in->buf + in->beg, in->end - in->beg);
    in->end -= in->beg;
    in->beg = 0;
  }
  const source *src = &in->srcs[in->cur];
  if (in->idle && !(in->stop && *in->stop) && would_block(src)) {
    in->idle(src->fd);
    if (in->stop && *in->stop)
      return false;  // the signal ended the wait, not the read below
  }
  for (;;) {
    ssize_t r = read(src->fd, in->buf + in->end, in->cap - in->end);
    if (r > 0) {
      in->end += (size_t)r;
      in->read_off += r;
      return true;
    }
    if (r == 0) {
      in->eof = true;
      return true;
    }
    if (errno == EINTR && !(in->stop && *in->stop))
      continue;
    if (errno == EINTR)
      return false;
    vp_log(VP_LOG_ERROR, "cannot read input %s: %s", src->path,
           strerror(errno));
    if (!in->err)
      in->err = -errno;
    in->eof = true;
    return true;
  }
}

// Hands out line p[0..*n) without its line break; *too_long when the line
// exceeds the limit (p then holds its first VP_SCAN_MAX_LINE bytes).
static bool next_line(vp_input *in, const char **p, size_t *n,
                      bool *too_long) {
  *too_long = false;
  for (;;) {
    if (in->cur >= in->nsrc)
      return false;
    char *start = in->buf + in->beg;
    size_t avail = in->end - in->beg;
    char *nl = avail ? memchr(start, '\n', avail) : NULL;

    if (nl) {
      size_t len = (size_t)(nl - start);
      in->beg += len + 1;
      in->bytes += (int64_t)len + 1;
      if (in->skipping) {
        in->skipping = false;
        continue;
      }
      *p = start;
      *n = len;
      break;
    }
    if (in->skipping) {
      in->bytes += (int64_t)avail;
      in->beg = in->end;
    } else if (avail > VP_SCAN_MAX_LINE + 1) {
      // Keep the head of the line for the dead letter; drop the rest.
      *p = start;
      *n = VP_SCAN_MAX_LINE;
      *too_long = true;
      in->bytes += (int64_t)avail;
      in->beg = in->end;
      in->skipping = true;
      return true;
    } else if (in->eof && avail) {
      *p = start;
      *n = avail;
      in->beg = in->end;
      in->bytes += (int64_t)avail;
      break;
    }
    if (in->eof)
      next_source(in);
    else if (!fill(in))
      return false;
  }

  if (*n > 0 && (*p)[*n - 1] == '\r')
    (*n)--;
  if (*n > VP_SCAN_MAX_LINE) {
    *n = VP_SCAN_MAX_LINE;
    *too_long = true;
  }
  return true;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int64_t find_key(const vp_list *m, const char *name, size_t len) {
  for (int64_t i = 0; i < m->n; i++) {
    if (m->keys[i].n == (int64_t)len && memcmp(m->keys[i].p, name, len) == 0)
      return i;
  }
  return -1;
}

// Fills ev's type and fields from a parsed JSON object (8.4); *when is the
// top-level "timestamp" member, if any.
static bool json_record(vp_scan *s, vp_event *ev, const vp_value **when) {
  vp_value obj;
  if (!vp_json_parse_object(s, &obj))
    return false;

  vp_list *m = obj.u.list;
  int64_t ti = find_key(m, "event_type", 10);
  const char *what = "event_type must be a string";
  if (ti < 0) {
    ti = find_key(m, "type", 4);
    what = "type must be a string";
  }
  if (ti < 0)
    return vp_scan_fail(s, "missing event_type");
  if (m->items[ti].kind != VP_KIND_STR)
    return vp_scan_fail(s, what);
  ev->type = m->items[ti].u.s;

  int64_t wi = find_key(m, "timestamp", 9);
  *when = wi >= 0 ? &m->items[wi] : NULL;

  int64_t di = find_key(m, "data", 4);
  if (di >= 0 && m->items[di].kind == VP_KIND_MAP) {
    vp_list *d = m->items[di].u.list;
    ev->nfields = d->n;
    ev->names = d->keys;
    ev->values = d->items;
    return true;
  }

  // All members but the type key, in input order.
  ev->nfields = m->n - 1;
  if (ti == 0) {
    ev->names = m->keys + 1;
    ev->values = m->items + 1;
    return true;
  }
  ev->names = vp_arena_alloc(s->a, (size_t)m->n * sizeof *ev->names);
  ev->values = vp_arena_alloc(s->a, (size_t)m->n * sizeof *ev->values);
  for (int64_t i = 0, j = 0; i < m->n; i++) {
    if (i == ti)
      continue;
    ev->names[j] = m->keys[i];
    ev->values[j++] = m->items[i];
  }
  return true;
}

static bool evt_record(vp_scan *s, vp_event *ev, const vp_value **when) {
  vp_list fields;
  if (!vp_evt_parse_record(s, &ev->type, &fields))
    return false;
  ev->nfields = fields.n;
  ev->names = fields.keys;
  ev->values = fields.items;
  *when = vp_event_get(ev, "timestamp", 9);
  return true;
}

// Parses the trimmed line t[0..n) (NUL-terminated, in the arena) into ev.
static bool parse_line(vp_input *in, vp_arena *a, vp_event *ev,
                       const char *t, size_t n) {
  vp_scan *s = &in->scan;
  vp_scan_start(s, t, n, a);
  const vp_value *when = NULL;
  bool has_at = false;
  int64_t at_ns = 0;

  if (*t == '{') {
    if (in->fmt == VP_FORMAT_EVT)
      return vp_scan_fail(s, "JSON object in .evt input (--format evt)");
    if (!json_record(s, ev, &when))
      return false;
  } else {
    if (in->fmt == VP_FORMAT_JSONL)
      return vp_scan_fail(s, "expected a JSON object");
    if (*t == '@') {
      if (!vp_evt_parse_at(s, &at_ns))
        return false;
      has_at = true;
    }
    bool ok = (s->p < s->end && *s->p == '{') ? json_record(s, ev, &when)
                                               : evt_record(s, ev, &when);
    if (!ok)
      return false;
  }

  // Event time, rules 2-4 of 8.5 (rule 1 belongs to declared types).
  int64_t t_ns;
  if (when && vp_as_timestamp(when, &t_ns)) {
    ev->time_ns = t_ns;
    ev->time_from_data = true;
  } else if (has_at || in->batch_set) {
    ev->time_ns = has_at ? at_ns : in->batch_ns;
    ev->time_from_data = true;
  }
  return true;
}

static void clear_event(vp_input *in, vp_event *ev) {
  ev->type = (vp_str){ "", 0 };
  ev->nfields = 0;
  ev->names = NULL;
  ev->values = NULL;
  ev->time_ns = in->last_time;
  ev->time_from_data = false;
}

// Handles comment and BATCH lines; returns true when the line is one.
// *err is set for a malformed BATCH line, which is then a record.
static bool skip_line(vp_input *in, const char *t, size_t n,
                      const char **err) {
  *err = NULL;
  if (in->fmt == VP_FORMAT_JSONL)
    return false;
  if (t[0] == '#' || (n >= 2 && t[0] == '/' && t[1] == '/'))
    return true;

  bool has;
  int64_t ns;
  if (!vp_evt_batch(t, n, &has, &ns, err))
    return false;
  if (*err)
    return false;
  if (has) {
    in->batch_set = true;
    in->batch_ns = ns;
  }
  return true;
}

// Offers the trimmed .evt record t[0..n) to the fast reader, before the
// UTF-8 check: the fast reader accepts ASCII only. The record's time is
// that of a line without '@' (rules 3 and 4 of 8.5), since such a line
// does not start with a name character.
static bool try_fast(vp_input *in, vp_event *ev, const char *t, size_t n) {
  if (!in->fast || in->fmt == VP_FORMAT_JSONL || n == 0)
    return false;
  char c = t[0];
  if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
    return false;
  if (in->batch_set) {
    ev->time_ns = in->batch_ns;
    ev->time_from_data = true;
  }
  if (in->fast(ev, t, n)) {
    in->last_time = ev->time_ns;
    return true;
  }
  clear_event(in, ev);
  return false;
}

vp_read_status vp_input_next(vp_input *in, vp_arena *a, vp_event *ev,
                             const char **msg) {
  const char *line, *err = NULL;
  size_t n, lo, hi;
  bool too_long;

  for (;;) {
    if (!next_line(in, &line, &n, &too_long))
      return VP_READ_END;
    in->line++;

    lo = 0;
    hi = n;
    while (lo < hi && is_space(line[lo]))
      lo++;
    while (hi > lo && is_space(line[hi - 1]))
      hi--;
    if (too_long || (lo < hi && !skip_line(in, line + lo, hi - lo, &err)))
      break;
    if (err)
      break;
  }

  // One input record: origin, raw text, then its parse.
  ev->origin.seq = in->seq++;
  ev->origin.input = in->srcs[in->cur].path;
  ev->origin.line = in->line;
  clear_event(in, ev);
  // The fast reader is done with the line before the next read, so it
  // reads it where it is; the generic parser gets its own copy.
  ev->raw = (vp_str){ line, (int64_t)n };
  if (!too_long && !err && try_fast(in, ev, line + lo, hi - lo))
    return VP_READ_TAKEN;
  char *copy = vp_arena_dup(a, line, n);
  ev->raw = (vp_str){ copy, (int64_t)n };
  if (too_long)
    err = "line too long (limit 1 MiB)";
  else if (!err && !vp_utf8_valid(copy, n))
    err = "invalid UTF-8";
  if (!err && !parse_line(in, a, ev, copy + lo, hi - lo))
    err = in->scan.err;
  if (err) {
    clear_event(in, ev);
    *msg = err;
    return VP_READ_MALFORMED;
  }
  in->last_time = ev->time_ns;
  return VP_READ_RECORD;
}

static inline bool name_is(vp_str s, const char *name, size_t len) {
  return s.n == (int64_t)len && memcmp(s.p, name, len) == 0;
}

static int64_t find_field(const vp_event *ev, const char *name, size_t len) {
  for (int64_t i = 0; i < ev->nfields; i++) {
    if (name_is(ev->names[i], name, len))
      return i;
  }
  return -1;
}

const vp_value *vp_event_get(const vp_event *ev, const char *name,
                             size_t len) {
  // Decoders ask for fields in declaration order, which is nearly always
  // the input's order, so the field after the last one found comes first.
  // Only the search order depends on this guess, never the result.
  static _Thread_local int64_t guess;
  int64_t i = guess < ev->nfields ? guess : 0;
  if (i < ev->nfields && name_is(ev->names[i], name, len)) {
    guess = i + 1;
    return &ev->values[i];
  }
  i = find_field(ev, name, len);
  if (i < 0)
    return NULL;
  guess = i + 1;
  return &ev->values[i];
}

const vp_value *vp_event_get_hint(const vp_event *ev, const char *name,
                                  size_t len, int32_t *hint) {
  // Relaxed: the hint only orders the search, so a stale or torn-free
  // value from another thread costs a scan, never a wrong answer.
  int32_t h = __atomic_load_n(hint, __ATOMIC_RELAXED);
  if (h >= 0 && h < ev->nfields && name_is(ev->names[h], name, len))
    return &ev->values[h];
  int64_t i = find_field(ev, name, len);
  if (i < 0)
    return NULL;
  if (i <= INT32_MAX)
    __atomic_store_n(hint, (int32_t)i, __ATOMIC_RELAXED);
  return &ev->values[i];
}

bool vp_as_int(const vp_value *v, int64_t *out) {
  if (!v || v->kind != VP_KIND_INT)
    return false;
  *out = v->u.i;
  return true;
}

bool vp_as_float(const vp_value *v, double *out) {
  if (!v)
    return false;
  if (v->kind == VP_KIND_FLOAT)
    *out = v->u.f;
  else if (v->kind == VP_KIND_INT)
    *out = (double)v->u.i;
  else
    return false;
  return true;
}

bool vp_as_bool(const vp_value *v, bool *out) {
  if (!v || v->kind != VP_KIND_BOOL)
    return false;
  *out = v->u.b;
  return true;
}

bool vp_as_str(const vp_value *v, vp_str *out) {
  if (!v || v->kind != VP_KIND_STR)
    return false;
  *out = v->u.s;
  return true;
}

bool vp_as_timestamp(const vp_value *v, int64_t *out_ns) {
  if (!v)
    return false;
  if (v->kind == VP_KIND_INT)
    return !__builtin_mul_overflow(v->u.i, (int64_t)1000000, out_ns);
  if (v->kind == VP_KIND_STR)
    return vp_civil_parse_time(v->u.s.p, (size_t)v->u.s.n, out_ns) == 0;
  return false;
}

bool vp_as_duration(const vp_value *v, int64_t *out_ns) {
  if (!v)
    return false;
  if (v->kind == VP_KIND_INT) {
    *out_ns = v->u.i;
    return true;
  }
  if (v->kind == VP_KIND_STR)
    return vp_civil_parse_duration(v->u.s.p, (size_t)v->u.s.n, out_ns) == 0;
  return false;
}

// Positions for checkpoints (7.3).

int vp_input_count(const vp_input *in) {
  return in->nsrc;
}

const char *vp_input_path(const vp_input *in, int i) {
  return in->srcs[i].path;
}

int64_t vp_input_size(const vp_input *in, int i) {
  return in->srcs[i].size;
}

void vp_input_tell(const vp_input *in, vp_input_pos *p) {
  *p = (vp_input_pos){
    .cur = in->cur,
    .offset = in->read_off - (int64_t)(in->end - in->beg),
    .line = in->line,
    .seq = in->seq,
    .batch_ns = in->batch_ns,
    .last_time = in->last_time,
    .skipping = in->skipping,
    .batch_set = in->batch_set,
  };
  if (in->cur >= in->nsrc)
    p->offset = 0;
}

enum { TAIL_BYTES = 4096 };

uint64_t vp_input_tail_hash(const vp_input *in, const vp_input_pos *p) {
  if (p->cur >= in->nsrc || in->srcs[p->cur].fd < 0 || p->offset <= 0)
    return 0;
  char tail[TAIL_BYTES];
  int64_t n = p->offset < TAIL_BYTES ? p->offset : TAIL_BYTES;
  ssize_t r = pread(in->srcs[p->cur].fd, tail, (size_t)n, p->offset - n);
  return r == n ? vp_fnv1a64(VP_FNV_OFFSET, tail, (size_t)n) : 0;
}

int vp_input_seek(vp_input *in, const vp_input_pos *p) {
  while (in->cur < p->cur && in->cur < in->nsrc)
    next_source(in);
  if (p->cur < in->nsrc &&
      lseek(in->srcs[p->cur].fd, p->offset, SEEK_SET) < 0)
    return -errno;
  in->beg = in->end = 0;
  in->read_off = p->offset;
  in->eof = false;
  in->line = p->line;
  in->seq = p->seq;
  in->batch_ns = p->batch_ns;
  in->last_time = p->last_time;
  in->skipping = p->skipping;
  in->batch_set = p->batch_set;
  return 0;
}

void vp_input_set_seq(vp_input *in, int64_t seq) {
  in->seq = seq;
}
