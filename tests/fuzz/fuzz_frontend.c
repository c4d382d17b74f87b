// Fuzz harness for the front end: reads one VPL program from a file (or
// stdin), runs parse.c, sema.c and codegen.c on it in memory, and never
// runs the C compiler. Compile errors are normal results; only a crash, a
// sanitizer report or a hang is a finding.
// SPDX-License-Identifier: MIT
//
// diag.c's error count and source list, sema.c's type names and util.c's
// arena live for the whole process, so each input gets a process of its
// own (AFL++'s fork server) rather than a persistent loop.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "diag.h"
#include "parsing.h"
#include "sema.h"
#include "util.h"

#define FUZZ_PATH "fuzz.vpl"

// Reads all of f into a malloc'd buffer with a NUL after the last byte, the
// shape read_file in parse.c hands to the lexer; sized exactly, so that
// AddressSanitizer sees a read past the terminator.
static char *read_all(FILE *f, size_t *len) {
  size_t n = 0, cap = 4096;
  char *p = xmalloc(cap);
  size_t got;
  while ((got = fread(p + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      p = xrealloc(p, cap);
    }
  }

  char *text = xmalloc(n + 1);
  memcpy(text, p, n);
  text[n] = '\0';
  free(p);
  *len = n;
  return text;
}

// Parses, checks and generates C for one program; returns 0 when it
// compiled, 1 when it has errors, like vpc --check.
static int run_front_end(const char *text, size_t len) {
  vpc_program *prog = vpc_parse_text(FUZZ_PATH, text, len);
  if (vpc_error_count())
    return 1;

  vpc_sema *s = vpc_sema_program(prog);
  if (!s || vpc_error_count())
    return 1;

  vpc_sbuf out = { 0 };
  vpc_codegen(s, FUZZ_PATH, "fuzz.c", &out);
  vpc_sbuf_free(&out);
  return 0;
}

int main(int argc, char **argv) {
  FILE *f = stdin;
  if (argc > 2) {
    fprintf(stderr, "usage: %s [PROGRAM.vpl]\n", argv[0]);
    return 64;
  }
  if (argc == 2 && !(f = fopen(argv[1], "rb"))) {
    perror(argv[1]);
    return 66;
  }

  size_t len;
  char *text = read_all(f, &len);
  if (f != stdin)
    fclose(f);

  int rc = run_front_end(text, len);
  vpc_free_all();
  free(text);
  return rc;
}
