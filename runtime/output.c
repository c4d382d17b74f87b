// Buffered JSON Lines writers (see output.h). Records are formatted straight
// into one large buffer that goes out with write(2) when full; floats use the
// shortest digits that read back to the same double, laid out as Python's
// repr, and timestamps and strings follow LANGUAGE.md 8.7.
// SPDX-License-Identifier: MIT
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civil.h"
#include "log.h"
#include "num.h"
#include "pack.h"
#include "scan.h"

enum { OUT_BUF = 256 * 1024, MAX_NEST = 256 };

enum { NEST_OBJ, NEST_ARR };

struct vp_out {
  vp_out *prev, *next;  // every open output, for vp_out_flush_all
  int fd;  // -1 while a lazy file is not created yet
  bool own_fd;
  bool tty;  // flush each record
  char *path;
  char *buf;
  size_t n;
  int64_t records;
  int64_t bytes;
  int err;  // first write error, negative errno
  vp_buf *memory;  // a memory output's bytes, past those in buf
  struct id_count {
    const char *stream;
    int64_t seq, k;
  } *ids;  // per stream: the seq of its last record and its count there
  int nids;
  int depth;
  uint8_t kind[MAX_NEST];
  int64_t count[MAX_NEST];  // members or items written at each level
};

// Opens a lazy file now if it exists (truncating it), else checks that it
// can be created later in its directory.
static int open_lazy(vp_out *o) {
  o->fd = open(o->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (o->fd >= 0)
    return 0;
  if (errno != ENOENT)
    return -errno;

  char *dir = strdup(o->path);
  if (!dir)
    vp_arena_oom();
  char *slash = strrchr(dir, '/');
  const char *d = ".";
  if (slash == dir)
    d = "/";
  else if (slash) {
    *slash = '\0';
    d = dir;
  }
  int rc = access(d, W_OK | X_OK) == 0 ? 0 : -errno;
  free(dir);
  return rc;
}

static vp_out *open_outs;

static void link_out(vp_out *o) {
  o->next = open_outs;
  if (open_outs)
    open_outs->prev = o;
  open_outs = o;
}

static void unlink_out(vp_out *o) {
  if (o->prev)
    o->prev->next = o->next;
  else
    open_outs = o->next;
  if (o->next)
    o->next->prev = o->prev;
}

vp_out *vp_out_open(const char *path, bool lazy) {
  vp_out *o = calloc(1, sizeof *o);
  char *buf = malloc(OUT_BUF);
  if (!o || !buf)
    vp_arena_oom();
  o->buf = buf;
  o->fd = 1;

  int rc = 0;
  if (path && strcmp(path, "-") != 0) {
    o->path = strdup(path);
    if (!o->path)
      vp_arena_oom();
    o->own_fd = true;
    if (lazy) {
      rc = open_lazy(o);
    } else {
      o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      rc = o->fd < 0 ? -errno : 0;
    }
  }
  if (rc < 0) {
    free(o->path);
    free(o->buf);
    free(o);
    errno = -rc;
    return NULL;
  }
  o->tty = o->fd >= 0 && isatty(o->fd);
  link_out(o);
  return o;
}

vp_out *vp_out_open_fd(int fd) {
  vp_out *o = calloc(1, sizeof *o);
  char *buf = malloc(OUT_BUF);
  if (!o || !buf)
    vp_arena_oom();
  o->buf = buf;
  o->fd = fd;
  o->tty = isatty(fd);
  link_out(o);
  return o;
}

// An output on fd, which it closes, writing the file at path.
static vp_out *open_owned(int fd, const char *path) {
  vp_out *o = vp_out_open_fd(fd);
  o->own_fd = true;
  o->path = strdup(path);
  if (!o->path)
    vp_arena_oom();
  return o;
}

vp_out *vp_out_open_memory(void) {
  vp_out *o = calloc(1, sizeof *o);
  char *buf = malloc(OUT_BUF);
  vp_buf *memory = calloc(1, sizeof *memory);
  if (!o || !buf || !memory)
    vp_arena_oom();
  o->buf = buf;
  o->fd = -1;
  o->memory = memory;
  link_out(o);
  return o;
}

void vp_out_take(vp_out *o, vp_buf *b) {
  vp_buf_i64(b, o->records);
  vp_buf_i64(b, (int64_t)(o->memory->n + o->n));
  vp_buf_put(b, o->memory->p, o->memory->n);
  vp_buf_put(b, o->buf, o->n);
  o->memory->n = 0;
  o->n = 0;
  o->records = 0;
}

vp_out *vp_out_open_append(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  return fd < 0 ? NULL : open_owned(fd, path);
}

vp_out *vp_out_open_at(const char *path, int64_t length, int64_t records,
                       bool lazy) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && length == 0)
    return vp_out_open(path, lazy);
  if (fd < 0)
    return NULL;
  struct stat st;
  int rc = fstat(fd, &st) < 0 ? -errno : 0;
  if (rc == 0 && S_ISREG(st.st_mode) && st.st_size < length)
    rc = -ERANGE;
  if (rc == 0 && S_ISREG(st.st_mode) && ftruncate(fd, length) < 0)
    rc = -errno;
  if (rc == 0 && lseek(fd, 0, SEEK_END) < 0 && errno != ESPIPE)
    rc = -errno;
  if (rc < 0) {
    close(fd);
    errno = -rc;
    return NULL;
  }
  vp_out *o = open_owned(fd, path);
  o->records = records;
  return o;
}

int64_t vp_out_sync(vp_out *o) {
  if (vp_out_flush(o) < 0)
    return o->err;
  if (o->fd < 0)
    return 0;  // a lazy file not created yet
  struct stat st;
  if (fstat(o->fd, &st) < 0)
    return -errno;
  if (!S_ISREG(st.st_mode))
    return VP_OUT_NOT_FILE;
  if (fsync(o->fd) < 0)
    return -errno;
  return st.st_size;
}

const char *vp_out_path(const vp_out *o) {
  return o->path;
}

static volatile sig_atomic_t *stop_flag;

void vp_out_set_stop(volatile sig_atomic_t *flag) {
  stop_flag = flag;
}

static void write_out(vp_out *o, const char *p, size_t n) {
  if (o->err || n == 0)
    return;
  if (o->memory) {
    vp_buf_put(o->memory, p, n);
    return;
  }
  if (o->fd < 0) {
    o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (o->fd < 0) {
      o->err = -errno;
      vp_log(VP_LOG_ERROR, "cannot create %s: %s", o->path, strerror(errno));
      return;
    }
  }
  while (n > 0) {
    ssize_t w = write(o->fd, p, n);
    // A signal cuts a blocked write short (with EINTR, or with what it had
    // written): after a stop signal, that is where the writing ends.
    bool cut = (w < 0 && errno == EINTR) || (w >= 0 && (size_t)w < n);
    if (cut && stop_flag && *stop_flag) {
      n -= w > 0 ? (size_t)w : 0;
      o->err = -EINTR;
      vp_log(VP_LOG_ERROR,
             "stopped by a signal with %zu bytes not written to %s", n,
             o->path ? o->path : "standard output");
      return;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      o->err = -errno;
      vp_log(VP_LOG_ERROR, "cannot write %s: %s",
             o->path ? o->path : "standard output", strerror(errno));
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

int vp_out_flush(vp_out *o) {
  write_out(o, o->buf, o->n);
  o->bytes += (int64_t)o->n;
  o->n = 0;
  return o->err;
}

void vp_out_flush_all(void) {
  for (vp_out *o = open_outs; o; o = o->next)
    vp_out_flush(o);
}

int vp_out_close(vp_out *o) {
  if (!o)
    return 0;
  unlink_out(o);
  int rc = vp_out_flush(o);
  if (o->own_fd && o->fd >= 0 && close(o->fd) != 0 && rc == 0)
    rc = -errno;
  if (o->memory)
    vp_buf_free(o->memory);
  free(o->memory);
  free(o->ids);
  free(o->path);
  free(o->buf);
  free(o);
  return rc;
}

int64_t vp_out_records(const vp_out *o) {
  return o->records;
}

int64_t vp_out_bytes(const vp_out *o) {
  return o->bytes + (int64_t)o->n;
}

// Returns room for n more bytes in the buffer.
static inline char *reserve(vp_out *o, size_t n) {
  if (OUT_BUF - o->n < n)
    vp_out_flush(o);
  return o->buf + o->n;
}

static void put(vp_out *o, const char *p, size_t n) {
  if (n > OUT_BUF / 2) {
    vp_out_flush(o);
    write_out(o, p, n);
    o->bytes += (int64_t)n;
    return;
  }
  memcpy(reserve(o, n), p, n);
  o->n += n;
}

void vp_out_raw(vp_out *o, const char *p, size_t n) {
  put(o, p, n);
}

void vp_out_put_taken(vp_out *o, vp_rd *rd) {
  int64_t records = vp_rd_i64(rd);
  int64_t n = vp_rd_i64(rd);
  put(o, (const char *)rd->p, (size_t)n);
  rd->p += n;
  o->records += records;
  if (o->tty && records)
    vp_out_flush(o);
}

static inline void put_c(vp_out *o, char c) {
  *reserve(o, 1) = c;
  o->n++;
}

// The comma before a value inside an array.
static void before_value(vp_out *o) {
  if (o->depth > 0 && o->kind[o->depth - 1] == NEST_ARR) {
    if (o->count[o->depth - 1]++ > 0)
      put_c(o, ',');
  }
}

static void push(vp_out *o, int kind) {
  if (o->depth == MAX_NEST) {
    vp_log(VP_LOG_ERROR, "internal error: output nested deeper than %d",
           MAX_NEST);
    exit(70);
  }
  o->kind[o->depth] = (uint8_t)kind;
  o->count[o->depth] = 0;
  o->depth++;
}

// Closes a level; a record at depth 0 ends its line.
static void pop(vp_out *o, char close) {
  put_c(o, close);
  if (o->depth > 0)
    o->depth--;
  if (o->depth == 0) {
    put_c(o, '\n');
    o->records++;
    if (o->tty)
      vp_out_flush(o);
  }
}

// The escape of a byte below 0x80, or NULL when it is written as is.
static const char *ascii_escape(unsigned char c, char *tmp) {
  static const char hex[] = "0123456789abcdef";
  switch (c) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  case '\b':
    return "\\b";
  case '\f':
    return "\\f";
  default:
    if (c >= 0x20)
      return NULL;
    memcpy(tmp, "\\u00", 4);
    tmp[4] = hex[c >> 4];
    tmp[5] = hex[c & 15];
    tmp[6] = '\0';
    return tmp;
  }
}

// Length of the valid UTF-8 sequence at p[0..n), or 0.
static size_t utf8_len(const unsigned char *p, size_t n) {
  size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
  if (len == 0 || len > n || !vp_utf8_valid((const char *)p, len))
    return 0;
  return len;
}

// Whether one of the eight bytes in w needs more than a copy: a control
// character, '"', '\\' or a byte of a multi-byte sequence. Borrows only
// spread up from a byte that matches, so the answer is exact.
static inline bool needs_escape8(uint64_t w) {
  const uint64_t ones = 0x0101010101010101u, high = ones << 7;
  uint64_t ctl = (w - ones * 0x20) & ~w;
  uint64_t quote = w ^ (ones * '"');
  uint64_t bslash = w ^ (ones * '\\');
  quote = (quote - ones) & ~quote;
  bslash = (bslash - ones) & ~bslash;
  return ((ctl | quote | bslash | w) & high) != 0;
}

static inline bool plain_byte(unsigned char c) {
  return c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
}

// Length of the prefix of s that is written as is.
static size_t plain_prefix(const char *s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (needs_escape8(w))
      break;
  }
  while (i < n && plain_byte((unsigned char)s[i]))
    i++;
  return i;
}

bool vp_str_plain(vp_str s) {
  return plain_prefix(s.p, (size_t)s.n) == (size_t)s.n;
}

bool vp_value_flat(const vp_value *v) {
  return v->kind == VP_KIND_STR ? vp_str_plain(v->u.s)
                                : v->kind <= VP_KIND_FLOAT;
}

char *vp_put_flat(char *d, const vp_value *v) {
  switch (v->kind) {
  case VP_KIND_BOOL:
    memcpy(d, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
    return d + (v->u.b ? 4 : 5);
  case VP_KIND_INT:
    return d + vp_num_format_i64(d, v->u.i);
  case VP_KIND_FLOAT:
    return d + vp_fmt_float(d, v->u.f);
  case VP_KIND_STR:
    *d++ = '"';
    memcpy(d, v->u.s.p, (size_t)v->u.s.n);
    d += v->u.s.n;
    *d++ = '"';
    return d;
  default:
    memcpy(d, "null", 4);
    return d + 4;
  }
}

// A JSON string; invalid UTF-8 (only in raw lines) becomes U+FFFD. Most
// strings need no escape and go out with one copy.
static void put_str(vp_out *o, const char *s, size_t n) {
  size_t i = plain_prefix(s, n);
  if (i == n && n <= OUT_BUF / 4) {
    char *d = reserve(o, n + 2);
    d[0] = '"';
    memcpy(d + 1, s, n);
    d[n + 1] = '"';
    o->n += n + 2;
    return;
  }

  const unsigned char *p = (const unsigned char *)s;
  size_t run = 0;
  put_c(o, '"');
  while (i < n) {
    unsigned char c = p[i];
    if (plain_byte(c)) {
      i++;
      continue;
    }
    size_t len = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
    if (len) {
      i += len;
      continue;
    }
    put(o, s + run, i - run);
    char tmp[8];
    const char *esc = c >= 0x80 ? "\\ufffd" : ascii_escape(c, tmp);
    put(o, esc, strlen(esc));
    run = ++i;
  }
  put(o, s + run, i - run);
  put_c(o, '"');
}

int vp_fmt_float(char *buf, double v) {
  return vp_num_format_float(buf, v);
}

static char *two(char *p, int v) {
  p[0] = (char)('0' + v / 10);
  p[1] = (char)('0' + v % 10);
  return p + 2;
}

int vp_fmt_time(char *buf, int64_t ns) {
  int64_t secs = ns / 1000000000, frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    secs--;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days--;
  }
  int64_t y;
  int m, d;
  vp_civil_date(days, &y, &m, &d);

  char *p = buf + sprintf(buf, "%04lld-", (long long)y);
  p = two(p, m);
  *p++ = '-';
  p = two(p, d);
  *p++ = 'T';
  p = two(p, (int)(sod / 3600));
  *p++ = ':';
  p = two(p, (int)(sod / 60 % 60));
  *p++ = ':';
  p = two(p, (int)(sod % 60));

  // The fraction in the shortest of 3, 6 or 9 digits.
  if (frac) {
    int width = frac % 1000000 == 0 ? 3 : frac % 1000 == 0 ? 6 : 9;
    int64_t f = width == 3 ? frac / 1000000 : width == 6 ? frac / 1000 : frac;
    *p++ = '.';
    for (int i = width - 1; i >= 0; i--) {
      p[i] = (char)('0' + f % 10);
      f /= 10;
    }
    p += width;
  }
  *p++ = 'Z';
  *p = '\0';
  return (int)(p - buf);
}

void vp_w_begin(vp_out *o, vp_str type, bool has_time, int64_t time_ns) {
  before_value(o);
  push(o, NEST_OBJ);
  put(o, "{\"event_type\":", 14);
  put_str(o, type.p, (size_t)type.n);
  if (has_time) {
    put(o, ",\"timestamp\":", 13);
    vp_w_time(o, time_ns);
  }
  o->count[o->depth - 1] = 1;
}

// k counts the records of one stream for one input record: they come out
// together, so the seq of the stream's previous record tells.
static int64_t next_k(vp_out *o, const char *stream, int64_t seq) {
  struct id_count *e = NULL;
  for (int i = 0; i < o->nids && !e; i++)
    if (o->ids[i].stream == stream || !strcmp(o->ids[i].stream, stream))
      e = &o->ids[i];
  if (!e) {
    o->ids = realloc(o->ids, (size_t)(o->nids + 1) * sizeof *o->ids);
    if (!o->ids)
      vp_arena_oom();
    e = &o->ids[o->nids++];
    *e = (struct id_count){ stream, seq, -1 };
  }
  e->k = e->seq == seq ? e->k + 1 : 0;
  e->seq = seq;
  return e->k;
}

void vp_w_record_id(vp_out *o, int64_t seq, const char *stream) {
  if (o->depth != 1)
    return;
  char id[64];
  int64_t k = next_k(o, stream, seq);
  int n = snprintf(id, sizeof id, "%lld-", (long long)seq);
  put(o, ",\"_id\":\"", 8);
  put(o, id, (size_t)n);
  put(o, stream, strlen(stream));  // an identifier: nothing to escape
  n = snprintf(id, sizeof id, "-%lld\"", (long long)k);
  put(o, id, (size_t)n);
}

void vp_w_end(vp_out *o) {
  pop(o, '}');
}

char *vp_out_room(vp_out *o, size_t n) {
  if (o->depth != 0 || n > OUT_BUF / 4)
    return NULL;
  return reserve(o, n + 1);  // and the line break
}

void vp_out_room_done(vp_out *o, char *end) {
  *end++ = '\n';
  o->n = (size_t)(end - o->buf);
  o->records++;
  if (o->tty)
    vp_out_flush(o);
}

void vp_w_obj_begin(vp_out *o) {
  before_value(o);
  push(o, NEST_OBJ);
  put_c(o, '{');
}

void vp_w_obj_end(vp_out *o) {
  pop(o, '}');
}

void vp_w_arr_begin(vp_out *o) {
  before_value(o);
  push(o, NEST_ARR);
  put_c(o, '[');
}

void vp_w_arr_end(vp_out *o) {
  pop(o, ']');
}

void vp_w_key(vp_out *o, const char *name, size_t len) {
  bool comma = o->depth > 0 && o->count[o->depth - 1]++ > 0;

  // Keys are short names: comma, quotes and colon in one copy.
  if (len <= 256 && plain_prefix(name, len) == len) {
    char *d = reserve(o, len + 4);
    size_t k = 0;
    if (comma)
      d[k++] = ',';
    d[k++] = '"';
    memcpy(d + k, name, len);
    k += len;
    d[k++] = '"';
    d[k++] = ':';
    o->n += k;
    return;
  }
  if (comma)
    put_c(o, ',');
  put_str(o, name, len);
  put_c(o, ':');
}

void vp_w_key_lit(vp_out *o, const char *quoted, size_t len) {
  bool comma = o->depth > 0 && o->count[o->depth - 1]++ > 0;
  if (len > OUT_BUF / 2) {
    if (comma)
      put_c(o, ',');
    put(o, quoted, len);
    return;
  }
  char *d = reserve(o, len + 1);
  *d = ',';
  memcpy(d + comma, quoted, len);
  o->n += len + comma;
}

void vp_w_int(vp_out *o, int64_t v) {
  before_value(o);
  o->n += (size_t)vp_num_format_i64(reserve(o, 24), v);
}

void vp_w_float(vp_out *o, double v) {
  before_value(o);
  o->n += (size_t)vp_fmt_float(reserve(o, 40), v);
}

void vp_w_bool(vp_out *o, bool v) {
  before_value(o);
  put(o, v ? "true" : "false", v ? 4 : 5);
}

void vp_w_null(vp_out *o) {
  before_value(o);
  put(o, "null", 4);
}

void vp_w_str(vp_out *o, vp_str s) {
  before_value(o);
  put_str(o, s.p, (size_t)s.n);
}

void vp_w_time(vp_out *o, int64_t ns) {
  before_value(o);
  char *p = reserve(o, 48);
  p[0] = '"';
  int n = vp_fmt_time(p + 1, ns);
  p[n + 1] = '"';
  o->n += (size_t)n + 2;
}

void vp_w_duration(vp_out *o, int64_t ns) {
  vp_w_int(o, ns);
}

void vp_w_value(vp_out *o, const vp_value *v) {
  switch (v->kind) {
  case VP_KIND_NULL:
    vp_w_null(o);
    break;
  case VP_KIND_BOOL:
    vp_w_bool(o, v->u.b);
    break;
  case VP_KIND_INT:
    vp_w_int(o, v->u.i);
    break;
  case VP_KIND_FLOAT:
    vp_w_float(o, v->u.f);
    break;
  case VP_KIND_STR:
    vp_w_str(o, v->u.s);
    break;
  case VP_KIND_ARRAY:
    vp_w_arr_begin(o);
    for (int64_t i = 0; i < v->u.list->n; i++)
      vp_w_value(o, &v->u.list->items[i]);
    vp_w_arr_end(o);
    break;
  case VP_KIND_MAP:
    vp_w_obj_begin(o);
    for (int64_t i = 0; i < v->u.list->n; i++) {
      vp_str k = v->u.list->keys[i];
      vp_w_key(o, k.p, (size_t)k.n);
      vp_w_value(o, &v->u.list->items[i]);
    }
    vp_w_obj_end(o);
    break;
  }
}

static void key_int(vp_out *o, const char *key, int64_t v) {
  vp_w_key(o, key, strlen(key));
  vp_w_int(o, v);
}

static void key_cstr(vp_out *o, const char *key, const char *s) {
  vp_w_key(o, key, strlen(key));
  if (s)
    vp_w_str(o, (vp_str){ s, (int64_t)strlen(s) });
  else
    vp_w_null(o);
}

void vp_dlq_begin(vp_out *o, const vp_dlq_head *h) {
  vp_w_obj_begin(o);
  key_cstr(o, "kind", h->kind);
  vp_w_key(o, "message", 7);
  vp_w_str(o, h->message);
  key_cstr(o, "stream", h->stream);
  key_int(o, "worker", h->worker);
  key_int(o, "attempt", h->attempt);
  key_int(o, "seq", h->origin.seq);
  key_cstr(o, "input", h->origin.input);
  key_int(o, "line", h->origin.line);
  vp_w_key(o, "event", 5);
}

void vp_dlq_end(vp_out *o, const vp_str *raw, const vp_str *handler_error) {
  if (raw) {
    vp_w_key(o, "raw", 3);
    vp_w_str(o, *raw);
  }
  if (handler_error) {
    vp_w_key(o, "handler_error", 13);
    vp_w_str(o, *handler_error);
  }
  vp_w_obj_end(o);
}
