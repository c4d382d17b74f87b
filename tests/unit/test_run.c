// Unit tests of the driver (runtime/run.c): the command line of LANGUAGE.md
// 8.1 and its exit codes, routing, dead letters, --stats (8.9) and the
// stream-error log line (6.11), run through vp_main on temporary files.
// SPDX-License-Identifier: MIT
#include <fcntl.h>
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

#include "err.h"
#include "log.h"
#include "run.h"
#include "scratch.h"

static char oldcwd[4096];

static int setup(void **state) {
  if (scratch_setup(state) < 0 || !getcwd(oldcwd, sizeof oldcwd))
    return -1;
  return chdir(scratch_dir);
}

static int teardown(void **state) {
  if (chdir(oldcwd) != 0)
    return -1;
  return scratch_teardown(state);
}

static void put_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

// Runs vp_main with file descriptor fd (1 or 2) sent to path. vp_main
// does not write to argv, so the literals stay untouched.
static int redirected(int fd, const char *path, const vp_program *p, int argc,
                      const char *const *args) {
  char *argv[32];
  for (int i = 0; i < argc; i++)
    argv[i] = (char *)args[i];
  argv[argc] = NULL;
  fflush(NULL);
  int saved = dup(fd);
  int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(f, fd);
  close(f);
  int rc = vp_main(p, argc, argv);
  fflush(NULL);
  dup2(saved, fd);
  close(saved);
  return rc;
}

#define RUN(p, ...)                                                           \
  redirected(2, "stderr.txt", (p),                                            \
             sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *),        \
             (const char *[]){ __VA_ARGS__ })

// A program with one stream, Heavy, over Scan records.

static const char *const streams[] = { "Heavy" };

static void write_scan(vp_out *o, const void *rec) {
  const vp_event *ev = rec;
  vp_w_begin(o, ev->type, ev->time_from_data, ev->time_ns);
  for (int64_t i = 0; i < ev->nfields; i++) {
    vp_w_key(o, ev->names[i].p, (size_t)ev->names[i].n);
    vp_w_value(o, &ev->values[i]);
  }
  vp_w_end(o);
}

static void handle_scan(const vp_event *ev) {
  double kg;
  vp_str parcel;
  if (!vp_as_str(vp_event_get(ev, "parcel", 6), &parcel)) {
    vp_parse_error(ev, "missing field: parcel");
    return;
  }
  if (!vp_as_float(vp_event_get(ev, "kg", 2), &kg)) {
    vp_parse_error(ev, "missing field: kg");
    return;
  }
  vp_counts[0].in++;
  if (kg < 0) {
    vp_stream_error err = {
      .kind = "error",
      .message = VP_STR_LIT("negative weight"),
      .worker = -1,
      .attempt = 0,
      .stream = "Heavy",
      .origin = ev->origin,
    };
    vp_str herr = VP_STR_LIT("no recovery");
    vp_dead_letter(&err, write_scan, ev, &herr);
    vp_counts[0].dead_lettered++;
    return;
  }
  if (kg <= 2.0) {
    vp_counts[0].filtered++;
    return;
  }
  vp_counts[0].passed++;
  vp_counts[0].out++;
  vp_out *o = vp_main_out();
  vp_w_begin(o, VP_STR_LIT("Heavy"), ev->time_from_data, ev->time_ns);
  vp_w_key(o, "parcel", 6);
  vp_w_str(o, parcel);
  vp_w_key(o, "kg", 2);
  vp_w_float(o, kg);
  vp_w_end(o);
}

static const vp_route routes[] = { { "Scan", handle_scan } };

static const vp_program heavy = {
  .name = "heavy.vpl",
  .routes = routes,
  .nroutes = 1,
  .streams = streams,
  .nstreams = 1,
};

static const char scans[] =
    "Scan { parcel: \"P1\", hub: HAM, kg: 2.5 }\n"
    "BATCH 250\n"
    "Scan { parcel: \"P2\", hub: 'BER', kg: 4 }\n"
    "Scan { parcel: \"P3\", kg: 1.0 }\n"
    "Other { a: 1 }\n"
    "Scan { parcel \"P9\" }\n"
    "{\"event_type\":\"Scan\",\"parcel\":\"P5\",\"kg\":-1}\n"
    "Scan { kg: 3 }\n";

static void test_run_end_to_end(void **state) {
  put_file("scans.evt", scans);
  int rc = RUN(&heavy, "/bin/heavy", "scans.evt", "-o", "out.jsonl",
               "--stats", "stats.json", "--dlq=dead.jsonl");
  assert_int_equal(rc, 0);
  assert_string_equal(slurp("out.jsonl"),
                      "{\"event_type\":\"Heavy\",\"parcel\":\"P1\","
                      "\"kg\":2.5}\n"
                      "{\"event_type\":\"Heavy\",\"timestamp\":"
                      "\"1970-01-01T00:00:00.250Z\",\"parcel\":\"P2\","
                      "\"kg\":4.0}\n");
  assert_string_equal(
      slurp("dead.jsonl"),
      "{\"kind\":\"parse_error\",\"message\":\"expected ':' after field "
      "name\",\"stream\":null,\"worker\":-1,\"attempt\":0,\"seq\":4,"
      "\"input\":\"scans.evt\",\"line\":6,\"event\":null,\"raw\":\"Scan { "
      "parcel \\\"P9\\\" }\"}\n"
      "{\"kind\":\"error\",\"message\":\"negative weight\",\"stream\":"
      "\"Heavy\",\"worker\":-1,\"attempt\":0,\"seq\":5,\"input\":"
      "\"scans.evt\",\"line\":7,\"event\":{\"event_type\":\"Scan\","
      "\"timestamp\":\"1970-01-01T00:00:00.250Z\",\"parcel\":\"P5\","
      "\"kg\":-1},\"handler_error\":\"no recovery\"}\n"
      "{\"kind\":\"parse_error\",\"message\":\"missing field: parcel\","
      "\"stream\":null,\"worker\":-1,\"attempt\":0,\"seq\":6,\"input\":"
      "\"scans.evt\",\"line\":8,\"event\":null,\"raw\":\"Scan { kg: 3 }\"}\n");
  assert_string_equal(
      slurp("stats.json"),
      "{\"records\":7,\"parse_errors\":2,\"unrouted\":1,\"emitted\":2,"
      "\"dead_lettered\":3,\"late\":0,\"taps\":[],\"streams\":{\"Heavy\":"
      "{\"in\":4,\"out\":2,\"passed\":2,\"filtered\":1,\"dead_lettered\":1,"
      "\"held\":0}},\"regions\":{}}\n");
  const char *err = slurp("stderr.txt");
  assert_non_null(strstr(err, "[WARN] run: summary records=7 emitted=2 "
                              "dead_lettered=3 unrouted=1 parse_errors=2"));
  assert_non_null(
      strstr(err, "[WARN] run: dead_letters count=3 path=dead.jsonl\n"));
}

static void test_run_default_dlq_path_and_stdin(void **state) {
  put_file("in.evt", "Scan { parcel: P, kg: 5 }\nbad line\n");
  unlink("heavy2.dlq.jsonl");
  int fd = open("in.evt", O_RDONLY);
  int saved = dup(0);
  dup2(fd, 0);
  close(fd);
  int rc = RUN(&heavy, "./x/heavy2", "-", "--output", "o.jsonl");
  dup2(saved, 0);
  close(saved);
  assert_int_equal(rc, 0);
  assert_string_equal(slurp("o.jsonl"), "{\"event_type\":\"Heavy\","
                                        "\"parcel\":\"P\",\"kg\":5.0}\n");
  const char *dlq = slurp("heavy2.dlq.jsonl");
  assert_non_null(dlq);
  assert_non_null(strstr(dlq, "\"input\":\"-\",\"line\":2,"));
}

static void test_run_dlq_created_only_when_needed(void **state) {
  put_file("good.evt", "Scan { parcel: P, kg: 5 }\n");
  put_file("quiet.dlq.jsonl", "stale\n");
  int rc = RUN(&heavy, "quiet", "good.evt", "-o", "o.jsonl");
  assert_int_equal(rc, 0);
  assert_string_equal(slurp("quiet.dlq.jsonl"), "");
  unlink("quiet.dlq.jsonl");
  rc = RUN(&heavy, "quiet", "good.evt", "-o", "o.jsonl");
  assert_int_equal(rc, 0);
  assert_null(slurp("quiet.dlq.jsonl"));
}

static void test_run_usage_errors_exit_64(void **state) {
  assert_int_equal(RUN(&heavy, "h", "--bogus"), 64);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "[ERROR] usage: unknown option '--bogus'"));
  assert_int_equal(RUN(&heavy, "h", "-w", "0"), 64);
  assert_int_equal(RUN(&heavy, "h", "--workers=1025"), 64);
  assert_int_equal(RUN(&heavy, "h", "-w", "x"), 64);
  assert_int_equal(RUN(&heavy, "h", "--format", "xml"), 64);
  assert_int_equal(RUN(&heavy, "h", "--log-level", "loud"), 64);
  assert_int_equal(RUN(&heavy, "h", "--seed", "-1"), 64);
  assert_int_equal(RUN(&heavy, "h", "-o"), 64);
  assert_non_null(
      strstr(slurp("stderr.txt"), "option '-o' needs a value"));
  assert_int_equal(RUN(&heavy, "h", "--deterministic=yes"), 64);
  assert_int_equal(RUN(&heavy, "h", "--checkpoint-dir", "d"), 64);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "--checkpoint-dir needs inputs that are regular "
                         "files; standard input is not"));
  assert_int_equal(RUN(&heavy, "h", "--checkpoint-every", "10"), 64);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "--checkpoint-every, --checkpoint-interval and "
                         "--reset-checkpoint need --checkpoint-dir"));
  assert_int_equal(RUN(&heavy, "h", "--checkpoint-every", "0"), 64);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "--checkpoint-every: expected a positive number of "
                         "records, got '0'"));
  assert_int_equal(RUN(&heavy, "h", "--checkpoint-interval", "soon"), 64);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "--checkpoint-interval: expected a positive "
                         "duration such as 5s or 250ms, got 'soon'"));
  assert_int_equal(RUN(&heavy, "h", "--replay"), 64);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "option '--replay' is not supported yet"));
}

static void test_run_help_and_version_exit_0(void **state) {
  const char *argv[] = { "/usr/bin/heavy", "--help" };
  assert_int_equal(redirected(1, "help.txt", &heavy, 2, argv), 0);
  const char *help = slurp("help.txt");
  static const char *const must[] = {
    "Usage: heavy", "heavy.vpl", "--format", "--output", "--dlq",
    "--workers",    "--stats",   "--log-level", "--deterministic", "--seed",
    "--trace",      "--help",    "--version",   "heavy.dlq.jsonl",
    "--checkpoint-dir", "--checkpoint-every", "--checkpoint-interval",
    "--reset-checkpoint", "--record-ids",
  };
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
    if (!strstr(help, must[i]))
      fail_msg("help lacks %s", must[i]);
  }
  const char *vargv[] = { "heavy", "--version" };
  assert_int_equal(redirected(1, "version.txt", &heavy, 2, vargv), 0);
  assert_non_null(strstr(slurp("version.txt"), "heavy.vpl"));
}

static void test_run_fatal_opens_exit_1(void **state) {
  assert_int_equal(RUN(&heavy, "h", "missing.evt"), 1);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "[ERROR] cannot open input missing.evt: No such "
                         "file or directory"));
  put_file("ok.evt", "");
  assert_int_equal(RUN(&heavy, "h", "ok.evt", "-o", "no/such/out"), 1);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "[ERROR] cannot open output no/such/out: No such "
                         "file or directory"));
  assert_int_equal(RUN(&heavy, "h", "ok.evt", "-o", "o.jsonl", "--dlq",
                       "no/such/dlq"),
                   1);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "[ERROR] cannot open dead-letter output no/such/dlq: "
                         "No such file or directory"));
}

static void failing_init(void) {
  vp_raise("division by zero");
}

static void test_run_failed_init_exits_1(void **state) {
  vp_program p = heavy;
  p.init = failing_init;
  put_file("ok.evt", "");
  assert_int_equal(RUN(&p, "h", "ok.evt", "-o", "o.jsonl"), 1);
  assert_non_null(strstr(slurp("stderr.txt"),
                         "[ERROR] global initialisation failed: error: "
                         "division by zero"));
}

static int flushes;

static void count_flush(void) {
  flushes++;
}

static void test_run_flags_and_flush(void **state) {
  vp_program p = heavy;
  p.flush = count_flush;
  put_file("two.evt", "Scan { parcel: a, kg: 1 }\n# c\nX { }\n");
  flushes = 0;
  int rc = RUN(&p, "h", "two.evt", "-o", "o.jsonl", "--deterministic",
               "--seed", "18446744073709551615", "--trace", "t.jsonl",
               "--log-level", "info", "--format", "evt");
  assert_int_equal(rc, 0);
  assert_true(vp_deterministic);
  assert_true(vp_seed == UINT64_MAX);
  assert_string_equal(vp_trace_path, "t.jsonl");
  assert_int_equal(vp_log_threshold, VP_LOG_INFO);
  assert_int_equal(flushes, 3);  // two records and the end of input
  assert_non_null(strstr(slurp("stderr.txt"),
                         "[INFO] run: stream name=Heavy in=1 out=0 passed=0 "
                         "filtered=1 dead_lettered=0 held=0\n"));
  vp_log_threshold = VP_LOG_WARN;
}

static void test_run_log_stream_error_format(void **state) {
  vp_stream_error err = {
    .kind = "error",
    .message = VP_STR_LIT("division by zero"),
    .worker = 2,
    .attempt = 1,
    .stream = "Scored",
    .origin = { 41, "pay.jsonl", 42 },
  };
  fflush(NULL);
  int saved = dup(2);
  int f = open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(f, 2);
  close(f);
  vp_log_stream_error(&err);
  dup2(saved, 2);
  close(saved);
  assert_string_equal(slurp("log.txt"),
                      "[ERROR] Scored: error: division by zero (worker 2, "
                      "attempt 1, seq 41)\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_run_end_to_end),
    cmocka_unit_test(test_run_default_dlq_path_and_stdin),
    cmocka_unit_test(test_run_dlq_created_only_when_needed),
    cmocka_unit_test(test_run_usage_errors_exit_64),
    cmocka_unit_test(test_run_help_and_version_exit_0),
    cmocka_unit_test(test_run_fatal_opens_exit_1),
    cmocka_unit_test(test_run_failed_init_exits_1),
    cmocka_unit_test(test_run_flags_and_flush),
    cmocka_unit_test(test_run_log_stream_error_format),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
