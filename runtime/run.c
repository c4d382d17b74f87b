// The generated executable's driver (see run.h): parses the command line of
// LANGUAGE.md 8.1, opens inputs and outputs, starts the regions, feeds each
// input record to its route, then drains, writes --stats and the run summary
// and picks the exit code of 8.9.
// SPDX-License-Identifier: MIT
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
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
bool vp_deterministic;
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
} options;

// State of the one run in this process.
static struct run {
  const vp_program *prog;
  const char *base;  // basename of argv[0]
  options opt;
  vp_input *in;
  vp_out *out;
  vp_out *dlq;
  vp_out *stats;
  vp_arena event_arena;
  vp_arena run_arena;
  int32_t *route_slots;  // route index per hash slot, -1 when free
  uint32_t route_mask;
  vp_region_stats *rstats;
  int64_t records;
  int64_t parse_errors;
  int64_t unrouted;
  int64_t late;
  struct timespec start;
  double last_progress;
  bool progress;  // stderr is a terminal
  bool started;   // inputs, outputs and regions are up
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
  { "checkpoint-dir", 0, true, OPT_LATER },
  { "checkpoint-every", 0, true, OPT_LATER },
  { "checkpoint-interval", 0, true, OPT_LATER },
  { "reset-checkpoint", 0, false, OPT_LATER },
  { "record-ids", 0, false, OPT_LATER },
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
          "  -w, --workers N       workers of every concurrent region, "
          "1..1024\n"
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
    R.opt.flush_windows = true;
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

// Services for generated code.

vp_out *vp_main_out(void) {
  return R.out;
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
                   (long long)dead_lettered(), t > 0 ? R.records / t : 0.0);
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
      vp_region_poll(vp_regions[i]);
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
  if (route)
    route->handle(ev);
  else
    R.unrouted++;
}

static void read_loop(const vp_source *src) {
  vp_event ev;
  const char *msg;
  int64_t next_check = R.records + PROGRESS_EVERY;

  while (!stop_signal) {
    vp_arena_reset(&R.event_arena);
    vp_read_status st = vp_input_next(R.in, &R.event_arena, &ev, &msg);
    if (st == VP_READ_END)
      break;
    R.records++;
    if (st == VP_READ_MALFORMED)
      vp_parse_error(&ev, msg);
    else
      route_record(&ev, src);
    after_record();
    if (R.progress && R.records >= next_check) {
      next_check += PROGRESS_EVERY;
      show_progress();
    }
  }
}

// Reads each connector source (E.from(C)) after the main inputs, its
// records numbered on from theirs; returns -1, or the exit status of a
// source that cannot be opened.
static int read_sources(void) {
  for (int i = 0; i < R.prog->nsources && !stop_signal; i++) {
    const vp_source *src = &R.prog->sources[i];
    char why[512];
    vp_input *in = vp_input_open(&src->path, 1, src->format, why, sizeof why);
    if (!in) {
      vp_log(VP_LOG_ERROR, "%s", why);
      return EXIT_FATAL;
    }
    vp_input_set_stop(in, &stop_signal);
    vp_input_set_seq(in, R.records);
    vp_input *main_in = R.in;
    R.in = in;
    read_loop(src);
    R.in = main_in;
    vp_input_close(in);
  }
  return -1;
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

// Opens inputs and outputs; returns -1 on success, else the exit status.
static int open_files(void) {
  char why[512];
  R.in = vp_input_open(R.opt.inputs, R.opt.ninputs, R.opt.fmt, why,
                       sizeof why);
  if (!R.in) {
    vp_log(VP_LOG_ERROR, "%s", why);
    return EXIT_FATAL;
  }
  vp_input_set_stop(R.in, &stop_signal);

  const char *out = R.opt.output ? R.opt.output : R.prog->default_output;
  R.out = vp_out_open(out, false);
  if (!R.out) {
    vp_log(VP_LOG_ERROR, "cannot open output %s: %s", out, strerror(errno));
    return EXIT_FATAL;
  }

  static char dlq_default[4096];
  const char *dlq = R.opt.dlq ? R.opt.dlq : R.prog->default_dlq;
  if (!dlq) {
    snprintf(dlq_default, sizeof dlq_default, "%s.dlq.jsonl", R.base);
    dlq = dlq_default;
  }
  R.opt.dlq = dlq;
  R.dlq = vp_out_open(dlq, true);
  if (!R.dlq) {
    vp_log(VP_LOG_ERROR, "cannot open dead-letter output %s: %s", dlq,
           strerror(errno));
    return EXIT_FATAL;
  }

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
    vp_regions[i] = vp_region_start(&R.prog->regions[i], R.opt.workers);
    if (!vp_regions[i]) {
      vp_log(VP_LOG_ERROR, "cannot start region of stream %s",
             R.prog->regions[i].stream);
      return EXIT_FATAL;
    }
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
    const char *s = R.prog->regions[i].stream;
    vp_w_key(o, s, strlen(s));
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
         secs > 0 ? R.records / secs : 0.0);
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
           R.prog->regions[i].stream, (long long)s->workers,
           (long long)s->submitted, (long long)s->errors,
           (long long)s->crashes, (long long)s->restarts,
           s->escalated ? "true" : "false", (long long)s->escalations,
           (long long)s->breaker_trips, (long long)s->breaker_transitions,
           (long long)s->rejected);
  }
  if (dead > 0)
    vp_log(VP_LOG_WARN, "run: dead_letters count=%lld path=%s",
           (long long)dead, R.opt.dlq);
  if (stop_signal)
    vp_log(VP_LOG_WARN, "run: stopped signal=%s before the end of input",
           stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
}

// Closes everything; returns the exit status of 8.9.
static int finish(int status) {
  stop_regions();
  int64_t emitted = R.out ? vp_out_records(R.out) : 0;
  int64_t dead = dead_lettered();

  if (R.out && vp_out_close(R.out) < 0 && status == 0)
    status = EXIT_FATAL;
  if (R.dlq && vp_out_close(R.dlq) < 0 && status == 0)
    status = EXIT_FATAL;
  if (R.stats && R.started) {
    write_stats(emitted, dead);
    if (vp_out_close(R.stats) < 0 && status == 0)
      status = EXIT_FATAL;
  }
  if (R.in && vp_input_error(R.in) < 0 && status == 0)
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

  vp_input_close(R.in);
  vp_arena_free(&R.event_arena);
  vp_arena_free(&R.run_arena);
  free(R.route_slots);
  free(R.rstats);
  free(R.opt.inputs);
  free(vp_regions);
  free(vp_counts);
  vp_regions = NULL;
  vp_counts = NULL;
  vp_event_arena = NULL;
  return status;
}

int vp_main(const vp_program *prog, int argc, char **argv) {
  memset(&R, 0, sizeof R);
  stop_signal = 0;
  vp_deterministic = false;
  vp_seed = 0;
  vp_trace_path = NULL;
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

  rc = open_files();
  if (rc < 0)
    rc = run_init();
  if (rc < 0) {
    install_signals();
    rc = start_regions();
  }
  if (rc >= 0)
    return finish(rc);

  R.started = true;
  read_loop(NULL);
  rc = read_sources();
  drain_all();
  if (prog->finish && !stop_signal) {
    prog->finish(R.opt.flush_windows);
    drain_all();
  }
  return finish(rc < 0 ? 0 : rc);
}
