// The generated executable's driver (see run.h): parses the command line of
// LANGUAGE.md 8.1, opens inputs and outputs, starts the regions, feeds each
// input record to its route, then drains, writes --stats and the run summary
// and picks the exit code of 8.9.
// SPDX-License-Identifier: MIT
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"
#include "err.h"
#include "evtfast.h"
#include "log.h"
#include "scan.h"
#include "tap.h"

#ifndef VP_VERSION
#define VP_VERSION "0.1.0"
#endif

enum {
  EXIT_FATAL = 1,
  EXIT_STOPPED = 2,
  EXIT_ESCALATED = 3,
  EXIT_USAGE = 64,
  PROGRESS_EVERY = 4096,  // records between clock checks
};

vp_arena *vp_event_arena;
vp_region **vp_regions;
vp_stream_counts *vp_counts;
int64_t vp_record_seq;
bool vp_record_ids;
bool vp_deterministic;
bool vp_flush_windows;
uint64_t vp_seed;
const char *vp_trace_path;

typedef struct options {
  const char **inputs;
  int ninputs;
  vp_format fmt;
  const char *output;
  const char *dlq;
  const char *stats;
  int workers;  // 0: the program's values
  int log_level;
  bool flush_windows;  // --flush-windows-at-eof (5.5)
  const char *ckpt_dir;      // --checkpoint-dir (7.3)
  int64_t ckpt_every;        // --checkpoint-every, input records
  int64_t ckpt_interval_ns;  // --checkpoint-interval
  bool reset_ckpt;           // --reset-checkpoint
  bool ckpt_options;         // one of the three above was given
} options;

// State of the one run in this process.
static struct run {
  const vp_program *prog;
  const char *base;  // basename of argv[0]
  options opt;
  vp_input *in;       // the input being read
  vp_input *main_in;  // the command line's inputs
  int64_t reader;     // 0: main_in, k: connector source k - 1
  vp_out *out;
  vp_out *dlq;
  vp_out *stats;
  vp_arena event_arena;
  vp_arena run_arena;
  int32_t *route_slots;  // route index per hash slot, -1 when free
  uint32_t route_mask;
  vp_region_stats *rstats;
  int64_t records;
  int64_t resumed_at;  // records read before, by the runs a checkpoint continues
  int64_t parse_errors;
  int64_t unrouted;
  char unrouted_type[64];  // the first unrouted record's type, for the log
  int64_t typed_reads;  // records read by the fast readers of declared types
  int64_t late;
  struct timespec start;
  double last_progress;
  bool progress;  // stderr is a terminal
  bool started;   // inputs, outputs and regions are up
  int fatal;      // exit status of a failure that stops reading, or 0
  vp_out **sinks;  // file connectors, for checkpoints
  int nsinks;
  int64_t ckpt_due;  // records count of the next checkpoint
  double ckpt_at;    // now_s() of the last one
  char *ckpt_error;  // a worker failed to save its state
} R;

static volatile sig_atomic_t stop_signal;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)(ts.tv_sec - R.start.tv_sec) +
         (double)(ts.tv_nsec - R.start.tv_nsec) / 1e9;
}

// Command line.

typedef enum opt_id {
  OPT_FORMAT,
  OPT_OUTPUT,
  OPT_DLQ,
  OPT_WORKERS,
  OPT_STATS,
  OPT_LOG_LEVEL,
  OPT_DETERMINISTIC,
  OPT_SEED,
  OPT_TRACE,
  OPT_HELP,
  OPT_VERSION,
  OPT_FLUSH_WINDOWS,
  OPT_CKPT_DIR,
  OPT_CKPT_EVERY,
  OPT_CKPT_INTERVAL,
  OPT_RESET_CKPT,
  OPT_RECORD_IDS,
  OPT_LATER,  // phase 2 options, rejected
} opt_id;

typedef struct opt_spec {
  const char *name;
  char short_name;
  bool arg;
  opt_id id;
} opt_spec;

static const opt_spec specs[] = {
  { "format", 0, true, OPT_FORMAT },
  { "output", 'o', true, OPT_OUTPUT },
  { "dlq", 0, true, OPT_DLQ },
  { "workers", 'w', true, OPT_WORKERS },
  { "stats", 0, true, OPT_STATS },
  { "log-level", 0, true, OPT_LOG_LEVEL },
  { "deterministic", 0, false, OPT_DETERMINISTIC },
  { "seed", 0, true, OPT_SEED },
  { "trace", 0, true, OPT_TRACE },
  { "help", 'h', false, OPT_HELP },
  { "version", 0, false, OPT_VERSION },
  { "checkpoint-dir", 0, true, OPT_CKPT_DIR },
  { "checkpoint-every", 0, true, OPT_CKPT_EVERY },
  { "checkpoint-interval", 0, true, OPT_CKPT_INTERVAL },
  { "reset-checkpoint", 0, false, OPT_RESET_CKPT },
  { "record-ids", 0, false, OPT_RECORD_IDS },
  { "flush-windows-at-eof", 0, false, OPT_FLUSH_WINDOWS },
  { "replay", 0, false, OPT_LATER },
  { "ingestion-time", 0, false, OPT_LATER },
};

enum { NSPECS = sizeof specs / sizeof specs[0] };

static void usage(FILE *f) {
  const char *b = R.base;
  fprintf(f,
          "Usage: %s [OPTION]... [INPUT]...\n"
          "Runs the pipeline compiled from %s over the INPUT files (.evt or\n"
          "JSON Lines), one after another; with no INPUT, or when INPUT is\n"
          "-, reads standard input.\n\n"
          "Options:\n"
          "      --format FORMAT   input syntax: auto, evt or jsonl "
          "(default: auto)\n"
          "  -o, --output PATH     main output (default: standard output)\n"
          "      --dlq PATH        dead-letter output (default: "
          "%s.dlq.jsonl)\n"
          "  -w, --workers N       workers of every concurrent region "
          "but broadcast\n"
          "                        ones, 1..1024\n"
          "      --stats PATH      write the final counters as JSON to PATH\n"
          "      --log-level LEVEL error, warn, info, debug or trace "
          "(default:\n"
          "                        warn, or the VP_LOG environment variable)\n"
          "      --deterministic   serialise concurrent regions\n"
          "      --seed N          seed of jitter, random and uuid "
          "(default: 0)\n"
          "      --trace PATH      write supervision actions to PATH\n"
          "      --flush-windows-at-eof\n"
          "                        release open windows at the end of input\n"
          "      --checkpoint-dir DIR\n"
          "                        keep checkpoints in DIR and resume from "
          "the last one\n"
          "                        (inputs must be regular files)\n"
          "      --checkpoint-every N\n"
          "                        checkpoint after N input records "
          "(default: 100000)\n"
          "      --checkpoint-interval D\n"
          "                        ... or after D, such as 5s or 250ms "
          "(default: 5s)\n"
          "      --reset-checkpoint\n"
          "                        ignore the checkpoint in DIR and start "
          "over\n"
          "      --record-ids      give every output record an \"_id\" "
          "(SEQ-STREAM-K)\n"
          "  -h, --help            print this help and exit\n"
          "      --version         print the version and exit\n\n"
          "Exit status: 0 all input processed, 1 fatal error, 2 stopped by "
          "a signal,\n3 a region escalated, 64 usage error, 70 internal "
          "error.\n",
          b, R.prog->name ? R.prog->name : "a VPL program", b);
}

static int usage_error(const char *fmt, const char *arg) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, arg);
  vp_log(VP_LOG_ERROR, "usage: %s (see '%s --help')", msg, R.base);
  return EXIT_USAGE;
}

static bool parse_count(const char *s, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (!*s)
    return false;
  for (; *s; s++) {
    unsigned d = (unsigned)(*s - '0');
    if (d > 9 || v > (max - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// Applies one option; returns -1 to go on, else an exit status.
static int apply(const opt_spec *sp, const char *flag, const char *val) {
  options *o = &R.opt;
  uint64_t n;
  int lvl;
  switch (sp->id) {
  case OPT_FORMAT:
    if (strcmp(val, "auto") == 0)
      o->fmt = VP_FORMAT_AUTO;
    else if (strcmp(val, "evt") == 0)
      o->fmt = VP_FORMAT_EVT;
    else if (strcmp(val, "jsonl") == 0)
      o->fmt = VP_FORMAT_JSONL;
    else
      return usage_error("--format: expected auto, evt or jsonl, got '%s'",
                         val);
    return -1;
  case OPT_OUTPUT:
    o->output = val;
    return -1;
  case OPT_DLQ:
    o->dlq = val;
    return -1;
  case OPT_WORKERS:
    if (!parse_count(val, 1024, &n) || n < 1)
      return usage_error("--workers: expected 1..1024, got '%s'", val);
    o->workers = (int)n;
    return -1;
  case OPT_STATS:
    o->stats = val;
    return -1;
  case OPT_LOG_LEVEL:
    lvl = vp_log_parse_level(val);
    if (lvl < 0)
      return usage_error("--log-level: expected error, warn, info, debug or "
                         "trace, got '%s'",
                         val);
    o->log_level = lvl;
    return -1;
  case OPT_DETERMINISTIC:
    vp_deterministic = true;
    return -1;
  case OPT_SEED:
    if (!parse_count(val, UINT64_MAX, &vp_seed))
      return usage_error("--seed: expected a non-negative integer, got '%s'",
                         val);
    return -1;
  case OPT_TRACE:
    vp_trace_path = val;
    return -1;
  case OPT_HELP:
    usage(stdout);
    return 0;
  case OPT_VERSION:
    printf("%s (compiled from %s) vpc runtime %s\n", R.base,
           R.prog->name ? R.prog->name : "?", VP_VERSION);
    return 0;
  case OPT_FLUSH_WINDOWS:
    R.opt.flush_windows = vp_flush_windows = true;
    return -1;
  case OPT_CKPT_DIR:
    o->ckpt_dir = val;
    return -1;
  case OPT_CKPT_EVERY:
    if (!parse_count(val, INT64_MAX, &n) || n < 1)
      return usage_error("--checkpoint-every: expected a positive number of "
                         "records, got '%s'",
                         val);
    o->ckpt_every = (int64_t)n;
    o->ckpt_options = true;
    return -1;
  case OPT_CKPT_INTERVAL: {
    vp_value v = { .kind = VP_KIND_STR };
    v.u.s = (vp_str){ val, (int64_t)strlen(val) };
    if (!vp_as_duration(&v, &o->ckpt_interval_ns) || o->ckpt_interval_ns <= 0)
      return usage_error("--checkpoint-interval: expected a positive "
                         "duration such as 5s or 250ms, got '%s'",
                         val);
    o->ckpt_options = true;
    return -1;
  }
  case OPT_RESET_CKPT:
    o->reset_ckpt = true;
    o->ckpt_options = true;
    return -1;
  case OPT_RECORD_IDS:
    vp_record_ids = true;
    return -1;
  case OPT_LATER:
    return usage_error("option '%s' is not supported yet (planned: P2)",
                       flag);
  }
  return -1;
}

static const opt_spec *find_long(const char *name, size_t len) {
  for (int i = 0; i < NSPECS; i++) {
    if (strlen(specs[i].name) == len && memcmp(specs[i].name, name, len) == 0)
      return &specs[i];
  }
  return NULL;
}

static const opt_spec *find_short(char c) {
  for (int i = 0; i < NSPECS; i++) {
    if (specs[i].short_name == c)
      return &specs[i];
  }
  return NULL;
}

// One option at argv[*i]; returns -1 to go on, else an exit status.
static int parse_option(int argc, char **argv, int *i) {
  const char *a = argv[*i], *val = NULL;
  const opt_spec *sp;
  char flag[64];

  if (a[1] == '-') {
    const char *eq = strchr(a + 2, '=');
    size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    sp = find_long(a + 2, len);
    if (!sp)
      return usage_error("unknown option '%s'", a);
    snprintf(flag, sizeof flag, "--%s", sp->name);
    if (eq && !sp->arg)
      return usage_error("option '%s' takes no value", flag);
    val = eq ? eq + 1 : NULL;
  } else {
    sp = find_short(a[1]);
    if (!sp || (a[2] && !sp->arg))
      return usage_error("unknown option '%s'", a);
    snprintf(flag, sizeof flag, "-%c", a[1]);
    val = a[2] ? a + 2 : NULL;
  }
  if (sp->arg && !val) {
    if (*i + 1 >= argc)
      return usage_error("option '%s' needs a value", flag);
    val = argv[++*i];
  }
  return apply(sp, flag, val);
}

// Returns -1 to run, else the exit status (help, version, usage error).
static int parse_args(int argc, char **argv) {
  R.opt.inputs = calloc((size_t)argc + 1, sizeof *R.opt.inputs);
  if (!R.opt.inputs)
    vp_arena_oom();
  R.opt.log_level = -1;
  R.opt.fmt = R.prog->default_format;
  R.opt.ckpt_every = 100000;
  R.opt.ckpt_interval_ns = 5000000000LL;

  bool only_inputs = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!only_inputs && strcmp(a, "--") == 0) {
      only_inputs = true;
    } else if (only_inputs || a[0] != '-' || a[1] == '\0') {
      R.opt.inputs[R.opt.ninputs++] = a;
    } else {
      int rc = parse_option(argc, argv, &i);
      if (rc >= 0)
        return rc;
    }
  }
  if (R.opt.ckpt_options && !R.opt.ckpt_dir)
    return usage_error("%s", "--checkpoint-every, --checkpoint-interval and "
                             "--reset-checkpoint need --checkpoint-dir");
  return -1;
}

static void set_log_level(void) {
  const char *env = getenv("VP_LOG");
  if (env && *env) {
    int lvl = vp_log_parse_level(env);
    if (lvl >= 0)
      vp_log_threshold = (vp_log_level)lvl;
    else
      vp_log(VP_LOG_WARN, "run: ignoring VP_LOG=%s (expected error, warn, "
                          "info, debug or trace)",
             env);
  }
  if (R.opt.log_level >= 0)
    vp_log_threshold = (vp_log_level)R.opt.log_level;
}

// Routes: an open-addressing table from type name to route index.

static uint32_t type_slot(const char *p, size_t n) {
  return vp_scan_hash(p, n) & R.route_mask;
}

static void build_routes(void) {
  uint32_t size = 8;
  while (size < (uint32_t)R.prog->nroutes * 2)
    size *= 2;
  R.route_mask = size - 1;
  R.route_slots = malloc(size * sizeof *R.route_slots);
  if (!R.route_slots)
    vp_arena_oom();
  for (uint32_t i = 0; i < size; i++)
    R.route_slots[i] = -1;

  for (int r = 0; r < R.prog->nroutes; r++) {
    const char *t = R.prog->routes[r].type;
    uint32_t h = type_slot(t, strlen(t));
    while (R.route_slots[h] >= 0)
      h = (h + 1) & R.route_mask;
    R.route_slots[h] = r;
  }
}

static const vp_route *find_route(vp_str type) {
  uint32_t h = type_slot(type.p, (size_t)type.n);
  for (int32_t r; (r = R.route_slots[h]) >= 0; h = (h + 1) & R.route_mask) {
    const char *t = R.prog->routes[r].type;
    if (strncmp(t, type.p, (size_t)type.n) == 0 && t[type.n] == '\0')
      return &R.prog->routes[r];
  }
  return NULL;
}

// Gives a .evt record to the fast reader of its route (evtfast.h), if
// the route has one.
static bool take_fast(const vp_event *ev, const char *t, size_t n) {
  // Records mostly come in runs of one type: the last route is tried first.
  static const vp_route *last;
  static size_t last_len;
  size_t len = 0;
  while (len < n && vp_fx_is_name_char(t[len]))
    len++;
  const vp_route *route = last;
  if (!route || len != last_len || memcmp(t, route->type, len) != 0) {
    route = find_route((vp_str){ t, (int64_t)len });
    if (!route)
      return false;
    last = route;
    last_len = len;
  }
  if (!route->fast)
    return false;
  vp_record_seq = ev->origin.seq;
  if (!route->fast(ev, t + len, t + n))
    return false;
  R.typed_reads++;
  return true;
}

// Services for generated code.

vp_out *vp_main_out(void) {
  return R.out;
}

// The parent's output stays as the fork left it: the worker neither writes
// nor flushes it.
void vp_capture_main_out(void) {
  R.out = vp_out_open_memory();
}

void vp_note_event_time(int64_t ns) {
  if (R.in)
    vp_input_set_time(R.in, ns);
}

void vp_parse_error(const vp_event *ev, const char *message) {
  vp_dlq_head h = {
    .kind = "parse_error",
    .message = { message, (int64_t)strlen(message) },
    .stream = NULL,
    .worker = -1,
    .attempt = 0,
    .origin = ev->origin,
  };
  R.parse_errors++;
  if (!R.dlq)
    return;
  vp_dlq_begin(R.dlq, &h);
  vp_w_null(R.dlq);
  vp_dlq_end(R.dlq, &ev->raw, NULL);
}

void vp_dead_letter(const vp_stream_error *err, vp_event_writer write_event,
                    const void *rec, const vp_str *handler_error) {
  vp_dlq_head h = {
    .kind = err->kind,
    .message = err->message,
    .stream = err->stream,
    .worker = err->worker,
    .attempt = err->attempt,
    .origin = err->origin,
  };
  if (strcmp(err->kind, "late") == 0)
    R.late++;
  if (!R.dlq)
    return;
  vp_dlq_begin(R.dlq, &h);
  if (write_event)
    write_event(R.dlq, rec);
  else
    vp_w_null(R.dlq);
  vp_dlq_end(R.dlq, NULL, handler_error);
}

void vp_log_stream_error(const vp_stream_error *err) {
  vp_log(VP_LOG_ERROR, "%s: %s: %.*s (worker %lld, attempt %lld, seq %lld)",
         err->stream ? err->stream : "-", err->kind, (int)err->message.n,
         err->message.p, (long long)err->worker, (long long)err->attempt,
         (long long)err->origin.seq);
}

// Progress on a terminal, refreshed a few times a second.

static int64_t dead_lettered(void) {
  return R.dlq ? vp_out_records(R.dlq) : 0;
}

static void show_progress(void) {
  double t = now_s();
  if (t - R.last_progress < 0.25)
    return;
  R.last_progress = t;
  char line[256];
  int n = snprintf(line, sizeof line,
                   "\r[progress] records %lld, emitted %lld, dead-lettered "
                   "%lld, %.0f events/s\033[K",
                   (long long)R.records, (long long)vp_out_records(R.out),
                   (long long)dead_lettered(),
                   t > 0 ? (R.records - R.resumed_at) / t : 0.0);
  if (write(2, line, (size_t)n) == n)
    vp_log_set_progress(true);
}

static void clear_progress(void) {
  if (!R.progress)
    return;
  vp_log_set_progress(false);
  if (write(2, "\r\033[K", 4) != 4)
    return;
}

// The read-route loop.

static void after_record(void) {
  if (R.prog->flush)
    R.prog->flush();
  for (int i = 0; i < R.prog->nregions; i++) {
    if (vp_deterministic)
      vp_region_drain(vp_regions[i]);
    else
      vp_region_poll_rung(vp_regions[i]);
  }
}

// The input would block (a pipe or terminal gone quiet): until fd is
// readable, release what the regions finish and write every output out,
// so that a live source's results do not wait for its next record. While
// events are in flight the regions are looked at every millisecond.
static void input_idle(int fd) {
  for (;;) {
    for (int i = 0; i < R.prog->nregions; i++)
      vp_region_poll(vp_regions[i]);
    // What the regions released may go on into other regions, through
    // the queue of records between streams too: look at them after that.
    if (R.prog->flush)
      R.prog->flush();
    bool in_flight = false;
    for (int i = 0; i < R.prog->nregions; i++) {
      vp_region_stats st;
      vp_region_get_stats(vp_regions[i], &st);
      in_flight = in_flight || st.released < st.submitted;
    }
    vp_out_flush_all();
    struct pollfd p = { fd, POLLIN, 0 };
    if (poll(&p, 1, in_flight ? 1 : -1) != 0)
      return;  // readable, closed, or a signal to look at
  }
}

// Routes one record: through the type routes, or to a connector source's
// own stream, which takes records of its type only.
static void route_record(const vp_event *ev, const vp_source *src) {
  if (src) {
    if (strlen(src->type) == (size_t)ev->type.n &&
        !memcmp(src->type, ev->type.p, (size_t)ev->type.n)) {
      src->handle(ev);
      return;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "unexpected event type %.*s",
             (int)(ev->type.n > 200 ? 200 : ev->type.n), ev->type.p);
    vp_parse_error(ev, vp_arena_dup(&R.event_arena, msg, strlen(msg)));
    return;
  }
  const vp_route *route = find_route(ev->type);
  if (route) {
    route->handle(ev);
    return;
  }
  if (R.unrouted++ == 0)
    snprintf(R.unrouted_type, sizeof R.unrouted_type, "%.*s",
             (int)(ev->type.n < 60 ? ev->type.n : 60), ev->type.p);
}

static void maybe_checkpoint(void);

static void read_loop(const vp_source *src) {
  vp_event ev;
  const char *msg;
  int64_t next_check = R.records + PROGRESS_EVERY;

  while (!stop_signal && !R.fatal) {
    vp_arena_reset(&R.event_arena);
    vp_read_status st = vp_input_next(R.in, &R.event_arena, &ev, &msg);
    if (st == VP_READ_END)
      break;
    R.records++;
    vp_record_seq = ev.origin.seq;
    if (st == VP_READ_MALFORMED)
      vp_parse_error(&ev, msg);
    else if (st == VP_READ_RECORD)
      route_record(&ev, src);
    after_record();
    if (vp_ckpt_dir)
      maybe_checkpoint();
    if (R.progress && R.records >= next_check) {
      next_check += PROGRESS_EVERY;
      show_progress();
    }
  }
}

// Reads each connector source (E.from(C)) after the main inputs, its
// records numbered on from theirs; returns -1, or the exit status of a
// source that cannot be opened.
static int resume_source(vp_input *in);

static int read_sources(void) {
  int first = R.reader > 0 ? (int)R.reader - 1 : 0;
  for (int i = first; i < R.prog->nsources && !stop_signal && !R.fatal;
       i++) {
    const vp_source *src = &R.prog->sources[i];
    char why[512];
    vp_input *in = vp_input_open(&src->path, 1, src->format, why, sizeof why);
    if (!in) {
      vp_log(VP_LOG_ERROR, "%s", why);
      return EXIT_FATAL;
    }
    vp_input_set_stop(in, &stop_signal);
    vp_input_set_idle(in, input_idle);
    vp_input_set_seq(in, R.records);
    int rc = R.reader == i + 1 ? resume_source(in) : -1;
    R.reader = i + 1;
    R.in = in;
    if (rc < 0)
      read_loop(src);
    R.in = R.main_in;
    vp_input_close(in);
    if (rc >= 0)
      return rc;
  }
  return R.fatal ? R.fatal : -1;
}

static int64_t total_submitted(void) {
  int64_t n = 0;
  for (int i = 0; i < R.prog->nregions; i++) {
    vp_region_stats s;
    vp_region_get_stats(vp_regions[i], &s);
    n += s.submitted;
  }
  return n;
}

// Drains every region until a round submits nothing new: results released
// by one region may feed another that was drained before it.
static void drain_all(void) {
  for (;;) {
    int64_t before = total_submitted();
    for (int i = 0; i < R.prog->nregions; i++)
      vp_region_drain(vp_regions[i]);
    if (R.prog->flush)
      R.prog->flush();
    if (total_submitted() == before)
      break;
  }
}

// Checkpoints (LANGUAGE.md 7.3). The body of a checkpoint file, after the
// header ckpt.c writes: whether the run was complete; the reader; the
// main inputs' paths and sizes; the reading position and the hash of the
// bytes before it; the main output, the dead-letter output and each file
// connector as path, length and records; the run's counters and .tap
// counts; the program's state; and per region, each worker slot's state.

typedef struct saved_out {
  vp_str path;
  int64_t length;  // VP_OUT_NOT_FILE: a terminal or pipe, never cut
  int64_t records;
} saved_out;

// What a resumed run takes from its checkpoint.
static struct resume {
  bool on;
  bool complete;
  vp_buf body;
  int64_t ninputs;
  vp_rd inputs;  // ninputs × (path, size)
  vp_input_pos pos;
  uint64_t tail;
  saved_out out, dlq;
  saved_out *sinks;
  int64_t nsinks;
  vp_rd rest;  // the program's state, then the regions'
} RS;

int64_t vp_ckpt_input_ref(const char *input) {
  if (!input || !R.prog)
    return -1;
  for (int i = 0; i < R.opt.ninputs; i++)
    if (R.opt.inputs[i] == input || !strcmp(R.opt.inputs[i], input))
      return i;
  for (int i = 0; i < R.prog->nsources; i++)
    if (!strcmp(R.prog->sources[i].path, input))
      return R.opt.ninputs + i;
  return -1;
}

const char *vp_ckpt_input_at(int64_t ref) {
  if (!R.prog)
    return NULL;
  if (ref >= 0 && ref < R.opt.ninputs)
    return R.opt.inputs[ref];
  if (ref >= R.opt.ninputs && ref < R.opt.ninputs + R.prog->nsources)
    return R.prog->sources[ref - R.opt.ninputs].path;
  return NULL;
}

void vp_ckpt_worker_failed(const vp_stream_error *err) {
  if (R.ckpt_error)
    return;
  size_t n = (size_t)err->message.n + 64;
  R.ckpt_error = malloc(n);
  if (!R.ckpt_error)
    vp_arena_oom();
  snprintf(R.ckpt_error, n, "worker %lld: %s: %.*s", (long long)err->worker,
           err->kind, (int)err->message.n, err->message.p);
}

static void put_pos(vp_buf *b, const vp_input_pos *p) {
  int64_t v[8] = { p->cur,      p->offset,    p->line,     p->seq,
                   p->batch_ns, p->last_time, p->skipping, p->batch_set };
  vp_buf_put(b, v, sizeof v);
}

static void get_pos(vp_rd *r, vp_input_pos *p) {
  int64_t v[8];
  for (int i = 0; i < 8; i++)
    v[i] = vp_ckpt_i64(r);
  *p = (vp_input_pos){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
}

// Writes what o buffers, fsyncs it and records it; false on failure.
static bool put_out(vp_buf *b, vp_out *o) {
  int64_t len = vp_out_sync(o);
  if (len < 0 && len != VP_OUT_NOT_FILE) {
    vp_log(VP_LOG_ERROR, "checkpoint: cannot write %s: %s",
           vp_out_path(o) ? vp_out_path(o) : "standard output",
           strerror((int)-len));
    return false;
  }
  const char *path = vp_out_path(o) ? vp_out_path(o) : "";
  vp_buf_str(b, (vp_str){ path, (int64_t)strlen(path) });
  vp_buf_i64(b, len);
  vp_buf_i64(b, vp_out_records(o));
  return true;
}

static saved_out get_out(vp_rd *r) {
  saved_out o;
  o.path = vp_ckpt_str(r);
  o.length = vp_ckpt_i64(r);
  o.records = vp_ckpt_i64(r);
  return o;
}

// A checkpoint this run cannot resume: says why, returns the status.
static int bad_checkpoint(const char *what) {
  vp_log(VP_LOG_ERROR, "checkpoint %s/checkpoint: %s; --reset-checkpoint "
                       "starts over",
         vp_ckpt_dir, what);
  return EXIT_FATAL;
}

// The options that change what a run reads or writes: a resumed run must
// be given the same ones.
enum { NOPTIONS = 3 };

static void options_now(int64_t v[NOPTIONS]) {
  v[0] = R.opt.fmt;
  v[1] = vp_record_ids;
  v[2] = R.opt.flush_windows;
}

static void put_options(vp_buf *b) {
  int64_t v[NOPTIONS];
  options_now(v);
  vp_buf_put(b, v, sizeof v);
}

static int check_options(vp_rd *r) {
  static const char *const names[NOPTIONS] = { "--format", "--record-ids",
                                               "--flush-windows-at-eof" };
  int64_t now[NOPTIONS];
  options_now(now);
  for (int i = 0; i < NOPTIONS; i++) {
    if (vp_ckpt_i64(r) != now[i]) {
      char what[128];
      snprintf(what, sizeof what, "it was taken with another %s", names[i]);
      return bad_checkpoint(what);
    }
  }
  return -1;
}

// The run's part of the body, before the program's state and the
// regions'; false when an output cannot be synced.
static bool put_run(vp_buf *b, bool complete) {
  vp_buf_u8(b, complete);
  put_options(b);
  vp_buf_i64(b, R.reader);
  int n = vp_input_count(R.main_in);
  vp_buf_i64(b, n);
  for (int i = 0; i < n; i++) {
    const char *path = vp_input_path(R.main_in, i);
    vp_buf_str(b, (vp_str){ path, (int64_t)strlen(path) });
    vp_buf_i64(b, vp_input_size(R.main_in, i));
  }
  vp_input_pos pos;
  vp_input_tell(R.in, &pos);
  put_pos(b, &pos);
  vp_buf_i64(b, (int64_t)vp_input_tail_hash(R.in, &pos));
  if (!put_out(b, R.out) || !put_out(b, R.dlq))
    return false;
  vp_buf_i64(b, R.nsinks);
  for (int i = 0; i < R.nsinks; i++)
    if (!put_out(b, R.sinks[i]))
      return false;
  int64_t counters[4] = { R.records, R.parse_errors, R.unrouted, R.late };
  vp_buf_put(b, counters, sizeof counters);
  vp_buf_i64(b, R.prog->nstreams);
  vp_buf_put(b, vp_counts, (size_t)R.prog->nstreams * sizeof *vp_counts);
  vp_taps_save(b);
  return true;
}

// Takes a consistent checkpoint: every record read so far has gone all the
// way through (regions drained), each worker with keyed state has saved
// it behind a barrier, every output is on disk. Returns -1 or the exit
// status of a failure.
static int take_checkpoint(bool complete) {
  drain_all();
  for (int i = 0; i < R.prog->nregions; i++)
    vp_region_barrier(vp_regions[i]);
  drain_all();
  if (R.ckpt_error) {
    vp_log(VP_LOG_ERROR, "checkpoint failed: %s", R.ckpt_error);
    return EXIT_FATAL;
  }

  vp_buf b = { 0 }, state = { 0 };
  int rc = put_run(&b, complete) ? 0 : -EIO;
  if (rc == 0 && R.prog->save)
    R.prog->save(&state);
  vp_buf_str(&b, (vp_str){ (const char *)state.p, (int64_t)state.n });
  vp_buf_free(&state);
  vp_buf_i64(&b, R.prog->nregions);
  for (int i = 0; i < R.prog->nregions && rc == 0; i++)
    rc = vp_region_take_states(vp_regions[i], &b);
  if (rc == 0) {
    rc = vp_ckpt_write(vp_ckpt_dir, R.prog->fingerprint, &b);
    if (rc < 0)
      vp_log(VP_LOG_ERROR, "checkpoint: cannot write a checkpoint in %s: %s",
             vp_ckpt_dir, strerror(-rc));
  }
  if (rc == 0) {
    for (int i = 0; i < R.prog->nregions; i++)
      vp_region_checkpoint_done(vp_regions[i]);
    vp_log(VP_LOG_DEBUG, "checkpoint: records=%lld bytes=%zu%s",
           (long long)R.records, b.n, complete ? " complete" : "");
  }
  vp_buf_free(&b);
  R.ckpt_due = R.records + R.opt.ckpt_every;
  R.ckpt_at = now_s();
  return rc == 0 ? -1 : EXIT_FATAL;
}

// The events a region keeps for replay cost memory until the next
// checkpoint: past this much, that checkpoint comes early.
#define REPLAY_MAX ((size_t)256 << 20)

static bool replay_full(void) {
  size_t n = 0;
  for (int i = 0; i < R.prog->nregions; i++)
    n += vp_region_replay_bytes(vp_regions[i]);
  return n > REPLAY_MAX;
}

static void maybe_checkpoint(void) {
  bool due = R.records >= R.ckpt_due;
  if (!due && (R.records & 255) == 0)
    due = (now_s() - R.ckpt_at) * 1e9 >= (double)R.opt.ckpt_interval_ns ||
          replay_full();
  if (due) {
    int rc = take_checkpoint(false);
    if (rc >= 0)
      R.fatal = rc;
  }
}

// Reads DIR/checkpoint up to the program's state. Returns -1 to go on
// (resuming when RS.on), else an exit status.
static int read_checkpoint(void) {
  const char *dir = vp_ckpt_dir;
  if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
    vp_log(VP_LOG_ERROR, "cannot create checkpoint directory %s: %s", dir,
           strerror(errno));
    return EXIT_FATAL;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/lock", dir);
  // A POSIX record lock belongs to this process alone: workers do not
  // inherit it, so it ends the moment this process does, even while
  // killed workers are still on their way out (flock would wait for them).
  int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  if (lock < 0 || fcntl(lock, F_SETLK, &whole) < 0) {
    if (errno == EACCES || errno == EAGAIN)
      vp_log(VP_LOG_ERROR, "checkpoint directory %s is in use by another run",
             dir);
    else
      vp_log(VP_LOG_ERROR, "cannot lock checkpoint directory %s: %s", dir,
             strerror(errno));
    return EXIT_FATAL;
  }
  snprintf(path, sizeof path, "%s/checkpoint", dir);
  if (R.opt.reset_ckpt && unlink(path) < 0 && errno != ENOENT) {
    vp_log(VP_LOG_ERROR, "cannot remove %s: %s", path, strerror(errno));
    return EXIT_FATAL;
  }
  char why[4096 + 256];
  switch (vp_ckpt_read(dir, R.prog->fingerprint, &RS.body, why, sizeof why)) {
  case VP_CKPT_NONE:
    return -1;
  case VP_CKPT_BAD:
    vp_log(VP_LOG_ERROR, "%s", why);
    return EXIT_FATAL;
  case VP_CKPT_OK:
    break;
  }
  RS.on = true;
  vp_rd r = { RS.body.p, RS.body.p + RS.body.n };
  vp_ckpt_need(&r, 1);
  RS.complete = vp_rd_u8(&r);
  int rc = check_options(&r);
  if (rc >= 0)
    return rc;
  R.reader = vp_ckpt_i64(&r);
  RS.ninputs = vp_ckpt_i64(&r);
  RS.inputs = r;
  for (int64_t i = 0; i < RS.ninputs; i++) {
    vp_ckpt_str(&r);
    vp_ckpt_i64(&r);
  }
  get_pos(&r, &RS.pos);
  RS.tail = (uint64_t)vp_ckpt_i64(&r);
  RS.out = get_out(&r);
  RS.dlq = get_out(&r);
  RS.nsinks = vp_ckpt_i64(&r);
  RS.sinks = calloc((size_t)RS.nsinks + 1, sizeof *RS.sinks);
  if (!RS.sinks)
    vp_arena_oom();
  for (int64_t i = 0; i < RS.nsinks; i++)
    RS.sinks[i] = get_out(&r);
  int64_t counters[4];
  for (int i = 0; i < 4; i++)
    counters[i] = vp_ckpt_i64(&r);
  R.records = R.resumed_at = counters[0];
  R.parse_errors = counters[1];
  R.unrouted = counters[2];
  R.late = counters[3];
  if (vp_ckpt_i64(&r) != R.prog->nstreams)
    return bad_checkpoint("stream count differs");
  size_t nc = (size_t)R.prog->nstreams * sizeof *vp_counts;
  vp_ckpt_need(&r, nc);
  memcpy(vp_counts, r.p, nc);
  r.p += nc;
  vp_taps_load(&r);
  RS.rest = r;
  return -1;
}

// Inputs must be files a restart can seek in; a resumed run's must be the
// ones its checkpoint read, unchanged.
static int check_inputs(void) {
  int n = vp_input_count(R.main_in);
  for (int i = 0; i < n; i++) {
    const char *path = vp_input_path(R.main_in, i);
    if (!strcmp(path, "-") || vp_input_size(R.main_in, i) < 0)
      return usage_error("--checkpoint-dir needs inputs that are regular "
                         "files; %s is not",
                         strcmp(path, "-") ? path : "standard input");
  }
  if (!RS.on)
    return -1;
  if (RS.ninputs != n)
    return bad_checkpoint("it was taken over another list of inputs");
  vp_rd r = RS.inputs;
  for (int i = 0; i < n; i++) {
    vp_str path = vp_ckpt_str(&r);
    int64_t size = vp_ckpt_i64(&r);
    const char *p = vp_input_path(R.main_in, i);
    char what[4096 + 128];
    if (strlen(p) != (size_t)path.n || memcmp(p, path.p, (size_t)path.n)) {
      snprintf(what, sizeof what, "input %d was %.*s, not %s", i + 1,
               (int)path.n, path.p, p);
      return bad_checkpoint(what);
    }
    if (size != vp_input_size(R.main_in, i)) {
      snprintf(what, sizeof what,
               "input %s changed (%lld bytes, the checkpoint read %lld)", p,
               (long long)vp_input_size(R.main_in, i), (long long)size);
      return bad_checkpoint(what);
    }
  }
  return -1;
}

// Puts in where the checkpoint left it, after checking that the bytes
// before that point are the ones it read.
static int seek_input(vp_input *in, const vp_input_pos *pos) {
  if (vp_input_tail_hash(in, pos) != RS.tail)
    return bad_checkpoint("an input changed before the point it reached");
  int rc = vp_input_seek(in, pos);
  if (rc < 0) {
    vp_log(VP_LOG_ERROR, "cannot seek input: %s", strerror(-rc));
    return EXIT_FATAL;
  }
  return -1;
}

static int resume_source(vp_input *in) {
  return seek_input(in, &RS.pos);
}

// A resumed run's main input: at the checkpoint's position, or past its
// end when the checkpoint was taken in a connector source.
static int resume_input(void) {
  if (R.reader == 0)
    return seek_input(R.main_in, &RS.pos);
  vp_input_pos end = { .cur = vp_input_count(R.main_in) };
  return vp_input_seek(R.main_in, &end) < 0 ? EXIT_FATAL : -1;
}

// Whether saved, recorded by the checkpoint, is path ("" or "-": stdout).
static bool same_path(const saved_out *saved, const char *path) {
  const char *p = path && strcmp(path, "-") ? path : "";
  return strlen(p) == (size_t)saved->path.n &&
         !memcmp(p, saved->path.p, (size_t)saved->path.n);
}

// Opens an output; a resumed run opens the one its checkpoint recorded, at
// the recorded length. NULL (logged) on failure.
static vp_out *open_output(const char *what, const char *path,
                           const saved_out *saved, bool lazy) {
  if (RS.on && !same_path(saved, path)) {
    vp_log(VP_LOG_ERROR,
           "checkpoint %s/checkpoint: its %s was %.*s, not %s; "
           "--reset-checkpoint starts over",
           vp_ckpt_dir, what, saved->path.n ? (int)saved->path.n : 15,
           saved->path.n ? saved->path.p : "standard output",
           path && strcmp(path, "-") ? path : "standard output");
    return NULL;
  }
  vp_out *o;
  if (RS.on && saved->length != VP_OUT_NOT_FILE && saved->path.n) {
    o = vp_out_open_at(path, saved->length, saved->records, lazy);
    if (!o && errno == ERANGE)
      vp_log(VP_LOG_ERROR, "cannot resume %s: the file is shorter than the "
                           "%lld bytes the checkpoint recorded",
             path, (long long)saved->length);
    else if (!o)
      vp_log(VP_LOG_ERROR, "cannot resume %s %s at the %lld bytes the "
                           "checkpoint recorded: %s",
             what, path, (long long)saved->length, strerror(errno));
    return o;
  }
  o = vp_out_open(path, lazy);
  if (!o)
    vp_log(VP_LOG_ERROR, "cannot open %s %s: %s", what,
           path ? path : "standard output", strerror(errno));
  else if (RS.on && saved->length == VP_OUT_NOT_FILE)
    vp_log(VP_LOG_INFO, "resuming: %s is not a file: records written since "
                        "the checkpoint may appear again",
           path ? path : "standard output");
  return o;
}

vp_out *vp_sink_open(const char *path, bool append) {
  const saved_out *saved = NULL;
  for (int64_t i = 0; i < RS.nsinks; i++)
    if (strlen(path) == (size_t)RS.sinks[i].path.n &&
        !memcmp(path, RS.sinks[i].path.p, (size_t)RS.sinks[i].path.n))
      saved = &RS.sinks[i];
  vp_out *o = saved ? open_output("file connector", path, saved, false)
              : append ? vp_out_open_append(path)
                       : vp_out_open(path, false);
  if (!o && saved)
    exit(EXIT_FATAL);  // said why
  if (!o)
    return NULL;
  R.sinks = realloc(R.sinks, (size_t)(R.nsinks + 1) * sizeof *R.sinks);
  if (!R.sinks)
    vp_arena_oom();
  R.sinks[R.nsinks++] = o;
  return o;
}

// The program's state from the checkpoint, after its initialisation.
static void load_program_state(void) {
  vp_str st = vp_ckpt_str(&RS.rest);
  if (st.n && R.prog->load) {
    vp_rd r = { (const uint8_t *)st.p, (const uint8_t *)st.p + st.n };
    vp_event_arena = &R.run_arena;
    R.prog->load(&r);
    vp_event_arena = &R.event_arena;
  }
  if (vp_ckpt_i64(&RS.rest) != R.prog->nregions) {
    vp_log(VP_LOG_ERROR, "checkpoint: region count differs");
    exit(EXIT_FATAL);
  }
}

// Slot states of region i and its round-robin position, or a failure
// when its worker count changed.
static int region_states(int i, vp_str **states, int64_t *rr) {
  const vp_region_desc *d = &R.prog->regions[i];
  int64_t n = vp_ckpt_i64(&RS.rest);
  *rr = vp_ckpt_i64(&RS.rest);
  int want = vp_region_workers(d, R.opt.workers);
  *states = NULL;
  if (!d->save)
    return -1;
  if (n != want) {
    char what[256];
    snprintf(what, sizeof what,
             "the region of stream %s had %lld workers, this run has %d "
             "(keyed state stays with its worker)",
             d->stream, (long long)n, want);
    return bad_checkpoint(what);
  }
  *states = calloc((size_t)n, sizeof **states);
  if (!*states)
    vp_arena_oom();
  for (int64_t k = 0; k < n; k++)
    (*states)[k] = vp_ckpt_str(&RS.rest);
  return -1;
}

// Start and end of a run.

static void on_signal(int sig) {
  stop_signal = sig;
}

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // no SA_RESTART: a blocked read returns
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static const char *basename_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// Opens the inputs; returns -1 on success, else the exit status.
static int open_inputs(void) {
  char why[512];
  R.in = vp_input_open(R.opt.inputs, R.opt.ninputs, R.opt.fmt, why,
                       sizeof why);
  if (!R.in) {
    vp_log(VP_LOG_ERROR, "%s", why);
    return EXIT_FATAL;
  }
  vp_input_set_stop(R.in, &stop_signal);
  vp_input_set_idle(R.in, input_idle);
  // For tests: VP_GENERIC_READER=1 leaves every record to the generic
  // parser, which the fast readers of declared types must agree with.
  const char *generic = getenv("VP_GENERIC_READER");
  if (!(generic && !strcmp(generic, "1")))
    vp_input_set_fast(R.in, take_fast);
  R.main_in = R.in;
  return vp_ckpt_dir ? check_inputs() : -1;
}

// The absolute path a file is or would be written at: its own when it
// exists, else its directory's with its name appended, after a dangling
// symbolic link to where it points. Empty when the directory is missing.
static void where_written(const char *path, char *buf, size_t size,
                          int links) {
  buf[0] = 0;
  char *real = realpath(path, NULL);
  if (real) {
    snprintf(buf, size, "%s", real);
    free(real);
    return;
  }
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX], target[PATH_MAX];
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
           slash ? path : ".");
  if (!dir[0])
    snprintf(dir, sizeof dir, "/");
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n > 0 && links < 8) {
    target[n] = 0;
    char joined[2 * PATH_MAX + 2];
    snprintf(joined, sizeof joined, "%s/%s", target[0] == '/' ? "" : dir,
             target);
    where_written(target[0] == '/' ? target : joined, buf, size, links + 1);
    return;
  }
  real = realpath(dir, NULL);
  if (real)
    snprintf(buf, size, "%s/%s", strcmp(real, "/") ? real : "",
             slash ? slash + 1 : path);
  free(real);
}

// Whether paths a and b name the same regular file, existing (the same
// inode, hard links included) or not yet (the same place).
static bool same_file(const char *a, const char *b) {
  struct stat sa, sb;
  bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
  if (ea && eb)
    return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
  if (ea || eb)
    return false;
  char wa[2 * PATH_MAX], wb[2 * PATH_MAX];
  where_written(a, wa, sizeof wa, 0);
  where_written(b, wb, sizeof wb, 0);
  return wa[0] && !strcmp(wa, wb);
}

// Whether path is the regular file standard input reads.
static bool is_stdin_file(const char *path) {
  struct stat sp, si;
  return stat(path, &sp) == 0 && fstat(STDIN_FILENO, &si) == 0 &&
         S_ISREG(sp.st_mode) && sp.st_dev == si.st_dev &&
         sp.st_ino == si.st_ino;
}

static int path_clash(const char *what, const char *path, const char *other) {
  vp_log(VP_LOG_ERROR, "usage: the %s %s is also %s (see '%s --help')", what,
         path, other, R.base);
  return EXIT_USAGE;
}

// The files a run writes must be neither one it reads nor one another of
// its outputs writes: opening an output truncates it, so the input would
// be lost before a record is read, or two outputs would mix. Checked
// before any output is opened.
static int check_output_paths(const char *out, const char *dlq) {
  const char *outs[] = { out, dlq, R.opt.stats, vp_trace_path };
  static const char *const names[] = { "output", "dead-letter output",
                                       "stats output", "trace output" };
  static const char *const as_other[] = { "the output",
                                          "the dead-letter output",
                                          "the stats output" };
  enum { NOUTS = sizeof outs / sizeof outs[0] };
  bool reads_stdin = R.opt.ninputs == 0;
  for (int j = 0; j < R.opt.ninputs; j++)
    reads_stdin = reads_stdin || !strcmp(R.opt.inputs[j], "-");
  for (int i = 0; i < NOUTS; i++) {
    if (!outs[i] || !strcmp(outs[i], "-"))
      continue;
    if (reads_stdin && is_stdin_file(outs[i]))
      return path_clash(names[i], outs[i], "the standard input");
    for (int j = 0; j < R.opt.ninputs; j++)
      if (strcmp(R.opt.inputs[j], "-") && same_file(outs[i], R.opt.inputs[j]))
        return path_clash(names[i], outs[i], "an input");
    for (int k = 0; k < i; k++)
      if (outs[k] && strcmp(outs[k], "-") && same_file(outs[i], outs[k]))
        return path_clash(names[i], outs[i], as_other[k]);
  }
  return -1;
}

// Opens inputs and outputs; returns -1 on success, else the exit status.
static int open_files(void) {
  int rc = open_inputs();
  if (rc >= 0)
    return rc;

  static char dlq_default[4096];
  const char *out = R.opt.output ? R.opt.output : R.prog->default_output;
  const char *dlq = R.opt.dlq ? R.opt.dlq : R.prog->default_dlq;
  if (!dlq) {
    snprintf(dlq_default, sizeof dlq_default, "%s.dlq.jsonl", R.base);
    dlq = dlq_default;
  }
  rc = check_output_paths(out, dlq);
  if (rc >= 0)
    return rc;

  // The trace, stats and dead-letter files first: one that cannot be
  // opened must not cost the main output its previous content.
  if (vp_trace_path && vp_region_trace_open(vp_trace_path) < 0) {
    vp_log(VP_LOG_ERROR, "cannot open trace output %s: %s", vp_trace_path,
           strerror(errno));
    return EXIT_FATAL;
  }

  if (R.opt.stats) {
    R.stats = vp_out_open(R.opt.stats, false);
    if (!R.stats) {
      vp_log(VP_LOG_ERROR, "cannot open stats output %s: %s", R.opt.stats,
             strerror(errno));
      return EXIT_FATAL;
    }
  }
  R.opt.dlq = dlq;
  R.dlq = open_output("dead-letter output", dlq, &RS.dlq, true);
  if (!R.dlq)
    return EXIT_FATAL;

  R.out = open_output("output", out, &RS.out, false);
  if (!R.out)
    return EXIT_FATAL;

  return -1;
}

// Runs the program's global initialisation (2.5) with the run arena as the
// current arena, so what it allocates lives for the whole run.
static int run_init(void) {
  if (!R.prog->init)
    return -1;
  vp_event_arena = &R.run_arena;
  vp_trap t;
  if (VP_TRY(t)) {
    R.prog->init();
    vp_trap_pop(&t);
  } else {
    vp_log(VP_LOG_ERROR, "global initialisation failed: %s: %.*s", t.kind,
           (int)t.message.n, t.message.p);
    vp_event_arena = &R.event_arena;
    return EXIT_FATAL;
  }
  vp_event_arena = &R.event_arena;
  return -1;
}

static int start_regions(void) {
  int n = R.prog->nregions;
  vp_regions = calloc((size_t)n + 1, sizeof *vp_regions);
  R.rstats = calloc((size_t)n + 1, sizeof *R.rstats);
  if (!vp_regions || !R.rstats)
    vp_arena_oom();

  // Nothing buffered may be inherited by the workers.
  vp_out_flush(R.out);
  vp_out_flush(R.dlq);
  for (int i = 0; i < n; i++) {
    vp_str *states = NULL;
    int64_t rr = 0;
    if (RS.on) {
      int rc = region_states(i, &states, &rr);
      if (rc >= 0)
        return rc;
    }
    vp_regions[i] = vp_region_start(&R.prog->regions[i], R.opt.workers,
                                    states);
    free(states);
    if (!vp_regions[i]) {
      vp_log(VP_LOG_ERROR, "cannot start region of stream %s",
             R.prog->regions[i].stream);
      return EXIT_FATAL;
    }
    vp_region_set_round_robin(vp_regions[i], rr);
  }
  return -1;
}

static void stop_regions(void) {
  if (!vp_regions)
    return;
  for (int i = 0; i < R.prog->nregions; i++) {
    if (!vp_regions[i])
      continue;
    vp_region_get_stats(vp_regions[i], &R.rstats[i]);
    vp_region_stop(vp_regions[i]);
    vp_regions[i] = NULL;
  }
}

static void stats_int(vp_out *o, const char *key, int64_t v) {
  vp_w_key(o, key, strlen(key));
  vp_w_int(o, v);
}

// Region i's key in --stats, in the run arena: its stream's name,
// followed by #2, #3 ... for the second and later regions of one stream.
static const char *region_key(int i) {
  const char *stream = R.prog->regions[i].stream;
  int nth = 1;
  for (int k = 0; k < i; k++)
    nth += strcmp(R.prog->regions[k].stream, stream) == 0;
  if (nth == 1)
    return stream;
  size_t size = strlen(stream) + 16;
  char *key = vp_arena_alloc(&R.run_arena, size);
  snprintf(key, size, "%s#%d", stream, nth);
  return key;
}

// --stats, as 8.9 spells it.
static void write_stats(int64_t emitted, int64_t dead) {
  vp_out *o = R.stats;
  vp_w_obj_begin(o);
  stats_int(o, "records", R.records);
  stats_int(o, "parse_errors", R.parse_errors);
  stats_int(o, "unrouted", R.unrouted);
  stats_int(o, "emitted", emitted);
  stats_int(o, "dead_lettered", dead);
  stats_int(o, "late", R.late);
  vp_w_key(o, "taps", 4);
  vp_w_arr_begin(o);
  vp_taps_write(o);
  vp_w_arr_end(o);

  vp_w_key(o, "streams", 7);
  vp_w_obj_begin(o);
  for (int i = 0; i < R.prog->nstreams; i++) {
    const vp_stream_counts *c = &vp_counts[i];
    vp_w_key(o, R.prog->streams[i], strlen(R.prog->streams[i]));
    vp_w_obj_begin(o);
    stats_int(o, "in", c->in);
    stats_int(o, "out", c->out);
    stats_int(o, "passed", c->passed);
    stats_int(o, "filtered", c->filtered);
    stats_int(o, "dead_lettered", c->dead_lettered);
    stats_int(o, "held", c->held);
    vp_w_obj_end(o);
  }
  vp_w_obj_end(o);

  vp_w_key(o, "regions", 7);
  vp_w_obj_begin(o);
  for (int i = 0; i < R.prog->nregions; i++) {
    const char *key = region_key(i);
    vp_w_key(o, key, strlen(key));
    vp_w_obj_begin(o);
    stats_int(o, "restarts", R.rstats[i].restarts);
    vp_w_key(o, "escalated", 9);
    vp_w_bool(o, R.rstats[i].escalated);
    stats_int(o, "breaker_trips", R.rstats[i].breaker_trips);
    // Always 0: a late release needs the event-time collect order, which
    // this version does not have (only completion and input order).
    stats_int(o, "late_released", 0);
    vp_w_obj_end(o);
  }
  vp_w_obj_end(o);
  vp_w_obj_end(o);
}

static void summary(int64_t emitted, int64_t dead, double secs) {
  vp_log_level lvl = dead > 0 ? VP_LOG_WARN : VP_LOG_INFO;
  vp_log(lvl,
         "run: summary records=%lld emitted=%lld dead_lettered=%lld "
         "unrouted=%lld parse_errors=%lld seconds=%.3f events_per_s=%.0f",
         (long long)R.records, (long long)emitted, (long long)dead,
         (long long)R.unrouted, (long long)R.parse_errors, secs,
         secs > 0 ? (R.records - R.resumed_at) / secs : 0.0);
  for (int i = 0; i < R.prog->nstreams; i++) {
    const vp_stream_counts *c = &vp_counts[i];
    vp_log(lvl,
           "run: stream name=%s in=%lld out=%lld passed=%lld filtered=%lld "
           "dead_lettered=%lld held=%lld",
           R.prog->streams[i], (long long)c->in, (long long)c->out,
           (long long)c->passed, (long long)c->filtered,
           (long long)c->dead_lettered, (long long)c->held);
  }
  for (int i = 0; i < R.prog->nregions; i++) {
    const vp_region_stats *s = &R.rstats[i];
    vp_log(lvl,
           "run: region stream=%s workers=%lld submitted=%lld errors=%lld "
           "crashes=%lld restarts=%lld escalated=%s escalations=%lld "
           "breaker_trips=%lld breaker_transitions=%lld rejected=%lld",
           region_key(i), (long long)s->workers,
           (long long)s->submitted, (long long)s->errors,
           (long long)s->crashes, (long long)s->restarts,
           s->escalated ? "true" : "false", (long long)s->escalations,
           (long long)s->breaker_trips, (long long)s->breaker_transitions,
           (long long)s->rejected);
  }
  vp_log(VP_LOG_DEBUG, "run: reader typed=%lld generic=%lld",
         (long long)R.typed_reads,
         (long long)(R.records - R.resumed_at - R.typed_reads));
  if (dead > 0)
    vp_log(VP_LOG_WARN, "run: dead_letters count=%lld path=%s",
           (long long)dead, R.opt.dlq);
  // Records no stream reads are not errors (8.9), but a misspelt type
  // would lose every record without a word.
  if (R.unrouted > 0 && R.unrouted_type[0])
    vp_log(VP_LOG_WARN,
           "run: unrouted count=%lld first_type=%s (no stream reads "
           "records of these types)",
           (long long)R.unrouted, R.unrouted_type);
  if (stop_signal)
    vp_log(VP_LOG_WARN, "run: stopped signal=%s before the end of input",
           stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
}

// Whether closing an output failed: a write a stop signal cut short is
// part of the stop, not a failure.
static bool close_failed(vp_out *o) {
  int rc = vp_out_close(o);
  return rc < 0 && !(rc == -EINTR && stop_signal);
}

// Closes everything; returns the exit status of 8.9.
static int finish(int status) {
  stop_regions();
  int64_t emitted = R.out ? vp_out_records(R.out) : 0;
  int64_t dead = dead_lettered();

  if (R.out && close_failed(R.out) && status == 0)
    status = EXIT_FATAL;
  if (R.dlq && close_failed(R.dlq) && status == 0)
    status = EXIT_FATAL;
  if (R.stats && R.started) {
    write_stats(emitted, dead);
    if (close_failed(R.stats) && status == 0)
      status = EXIT_FATAL;
  }
  if (R.main_in && vp_input_error(R.main_in) < 0 && status == 0)
    status = EXIT_FATAL;
  if (vp_region_trace_close() < 0 && status == 0)
    status = EXIT_FATAL;

  clear_progress();
  if (R.started)
    summary(emitted, dead, now_s());
  for (int i = 0; i < R.prog->nregions && R.started && status == 0; i++) {
    if (R.rstats[i].escalated)
      status = EXIT_ESCALATED;
  }
  if (stop_signal && (status == 0 || status == EXIT_ESCALATED))
    status = EXIT_STOPPED;

  vp_input_close(R.main_in);
  vp_arena_free(&R.event_arena);
  vp_arena_free(&R.run_arena);
  free(R.route_slots);
  free(R.rstats);
  free(R.opt.inputs);
  free(vp_regions);
  free(vp_counts);
  free(R.sinks);
  free(R.ckpt_error);
  free(RS.sinks);
  vp_buf_free(&RS.body);
  memset(&RS, 0, sizeof RS);
  vp_ckpt_dir = NULL;
  vp_regions = NULL;
  vp_counts = NULL;
  vp_event_arena = NULL;
  return status;
}

// Opens the files, runs the program's initialisation and starts the
// regions, resuming from a checkpoint when there is one; returns -1 to
// read on, else the exit status.
static int start_run(void) {
  vp_ckpt_dir = R.opt.ckpt_dir;
  int rc = vp_ckpt_dir ? read_checkpoint() : -1;
  if (rc < 0 && RS.complete) {
    rc = open_inputs();  // the same inputs, unchanged, or an error
    if (rc < 0)
      vp_log(VP_LOG_WARN, "run: the checkpoint in %s is of a finished run "
                          "over these inputs: nothing to do "
                          "(--reset-checkpoint starts over)",
             vp_ckpt_dir);
    return rc < 0 ? 0 : rc;
  }
  if (rc < 0)
    rc = open_files();
  if (rc < 0)
    rc = run_init();
  if (rc < 0 && RS.on)
    load_program_state();
  if (rc < 0) {
    install_signals();
    vp_out_set_stop(&stop_signal);
    rc = start_regions();
  }
  if (rc < 0 && RS.on)
    rc = resume_input();
  if (rc < 0 && vp_ckpt_dir && !RS.on)
    rc = take_checkpoint(false);  // what a restart before the next one needs
  return rc;
}

int vp_main(const vp_program *prog, int argc, char **argv) {
  memset(&R, 0, sizeof R);
  stop_signal = 0;
  vp_deterministic = false;
  vp_flush_windows = false;
  vp_seed = 0;
  vp_trace_path = NULL;
  vp_record_ids = false;
  R.prog = prog;
  R.base = basename_of(argc > 0 && argv[0] ? argv[0] : "vpl");
  clock_gettime(CLOCK_MONOTONIC, &R.start);

  int rc = parse_args(argc, argv);
  set_log_level();
  if (rc >= 0) {
    free(R.opt.inputs);
    return rc;
  }

  vp_event_arena = &R.event_arena;
  vp_counts = calloc((size_t)prog->nstreams + 1, sizeof *vp_counts);
  if (!vp_counts)
    vp_arena_oom();
  R.progress = isatty(2);
  build_routes();

  rc = start_run();
  if (rc >= 0)
    return finish(rc);

  R.started = true;
  if (R.reader == 0)
    read_loop(NULL);
  rc = R.fatal ? R.fatal : read_sources();
  drain_all();
  if (prog->finish && !stop_signal && rc < 0) {
    vp_record_seq = R.records;
    prog->finish(R.opt.flush_windows);
    drain_all();
  }
  if (vp_ckpt_dir && rc < 0)
    rc = take_checkpoint(!stop_signal);
  return finish(rc < 0 ? 0 : rc);
}
