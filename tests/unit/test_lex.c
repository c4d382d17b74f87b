// Unit tests for the lexer: grammar/lexer.re and the layout filter of
// compiler/lex.c (LANGUAGE.md 1.1-1.6). Error cases run in a child process
// so that each starts with a fresh diagnostic count.
// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "diag.h"
#include "lex.h"
#include "parse.h"
#include "util.h"

#define T(k)       VPC_TK_##k
#define MAX_TOKENS 1024

// Lexes n bytes of src into toks (without the final end token); returns
// the count. Fails the test if the lexer does not terminate.
static int lex_n(const char *src, size_t n, vpc_token *toks, int max) {
  int file = vpc_diag_add_source("t.vpl", src, n);
  vpc_lexer *lx = vpc_lex_open(file, src, n);
  int count = 0;
  vpc_token tok;
  while (vpc_lex_next(lx, &tok)) {
    assert_true(count < max);
    toks[count++] = tok;
  }
  assert_int_equal(vpc_lex_next(lx, &tok), 0);  // stays at the end
  vpc_lex_close(lx);
  return count;
}

static int lex(const char *src, vpc_token *toks) {
  return lex_n(src, strlen(src), toks, MAX_TOKENS);
}

static void print_kinds(const char *label, const int *kinds, int n) {
  fprintf(stderr, "%s:", label);
  for (int i = 0; i < n; i++)
    fprintf(stderr, " %s", vpc_token_name(kinds[i]));
  fputc('\n', stderr);
}

// Asserts that src lexes without errors into exactly the kinds want.
static void expect_kinds(const char *src, const int *want, int n) {
  static vpc_token toks[MAX_TOKENS];
  int errors = vpc_error_count();
  int got = lex(src, toks);
  int kinds[MAX_TOKENS];
  for (int i = 0; i < got; i++)
    kinds[i] = toks[i].kind;
  if (got != n || memcmp(kinds, want, (size_t)n * sizeof *want)) {
    print_kinds("want", want, n);
    print_kinds("got ", kinds, got);
    fail();
  }
  assert_int_equal(vpc_error_count(), errors);
}

#define EXPECT(src, ...)                                    \
  do {                                                      \
    const int want_[] = { __VA_ARGS__ };                    \
    expect_kinds(src, want_, sizeof want_ / sizeof *want_); \
  } while (0)

// Lexes src in a child process and returns what it wrote to stderr.
static char *errors_of_n(const char *src, size_t n) {
  char path[] = "/tmp/test_lex_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    static vpc_token toks[1 << 16];
    dup2(fd, 2);
    alarm(10);
    lex_n(src, n, toks, 1 << 16);
    fflush(stderr);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  FILE *f = fdopen(fd, "r");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *out = xcalloc(1, (size_t)size + 1);
  assert_int_equal(fread(out, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  unlink(path);
  return out;
}

// Asserts that src reports the error line "t.vpl:<where>: error: <msg>".
static void expect_error_n(const char *src, size_t n, const char *where,
                           const char *msg) {
  char *out = errors_of_n(src, n);
  char *line = vpc_format("t.vpl:%s: error: %s\n", where, msg);
  if (!strstr(out, line)) {
    fprintf(stderr, "want: %sgot:\n%s", line, out);
    fail();
  }
  free(out);
}

static void expect_error(const char *src, const char *where, const char *msg) {
  expect_error_n(src, strlen(src), where, msg);
}

static void expect_no_error(const char *src) {
  char *out = errors_of_n(src, strlen(src));
  if (*out) {
    fprintf(stderr, "unexpected errors:\n%s", out);
    fail();
  }
  free(out);
}

// The worked example of LANGUAGE.md 1.6, verbatim.
static const char seed[] =
    "stream OrderProcessing = Orders\n"
    "    .partition_by(customer_id)  # Automatic isolation\n"
    "    .concurrent(\n"
    "        max_workers: 8,\n"
    "        strategy: \"consistent_hash\",  # or \"round_robin\"\n"
    "        supervision:\n"
    "            restart: \"always\"\n"
    "            max_restarts: 3\n"
    "            backoff: \"exponential\"\n"
    "    )\n"
    "    .process(order =>\n"
    "        validate_order(order)?\n"
    "        check_inventory(order)?\n"
    "        calculate_shipping(order)?\n"
    "        Ok(order)\n"
    "    )\n";

#define SEED_TOKENS                                                            \
  T(KW_STREAM), T(IDENT), T(ASSIGN), T(IDENT), T(DOT), T(IDENT), T(LPAREN),    \
      T(IDENT), T(RPAREN), T(DOT), T(IDENT), T(LPAREN), T(IDENT), T(COLON),    \
      T(INT), T(COMMA), T(IDENT), T(COLON), T(STRING), T(COMMA), T(IDENT),     \
      T(COLON), T(INDENT), T(IDENT), T(COLON), T(STRING), T(NEWLINE),          \
      T(IDENT), T(COLON), T(INT), T(NEWLINE), T(IDENT), T(COLON), T(STRING),   \
      T(NEWLINE), T(DEDENT), T(RPAREN), T(DOT), T(IDENT), T(LPAREN), T(IDENT), \
      T(FAT_ARROW), T(INDENT), T(IDENT), T(LPAREN), T(IDENT), T(RPAREN),       \
      T(QUESTION), T(NEWLINE), T(IDENT), T(LPAREN), T(IDENT), T(RPAREN),       \
      T(QUESTION), T(NEWLINE), T(IDENT), T(LPAREN), T(IDENT), T(RPAREN),       \
      T(QUESTION), T(NEWLINE), T(IDENT), T(LPAREN), T(IDENT), T(RPAREN),       \
      T(NEWLINE), T(DEDENT), T(RPAREN), T(NEWLINE)

static void test_lex_worked_example(void **state) {
  EXPECT(seed, SEED_TOKENS);
}

// `Ok(order))` closes the block at the end of its last line (L5) with the
// same tokens as a `)` line at the block's parent column.
static void test_lex_close_paren_on_last_line(void **state) {
  char *src = vpc_strdup(seed);
  char *p = strstr(src, "Ok(order)\n    )\n");
  strcpy(p, "Ok(order))\n");
  EXPECT(src, SEED_TOKENS);
}

static void test_lex_worked_example_stream_has_no_error(void **state) {
  expect_no_error(seed);
}

static void test_lex_several_blocks_close_at_once(void **state) {
  EXPECT("fn f(x: int) -> int:\n"
         "    if x > 0:\n"
         "        while x > 10:\n"
         "            x -= 1\n"
         "    x\n"
         "let y = 1\n",
         T(FN), T(IDENT), T(LPAREN), T(IDENT), T(COLON), T(IDENT), T(RPAREN),
         T(THIN_ARROW), T(IDENT), T(COLON), T(INDENT), T(IF), T(IDENT), T(GT),
         T(INT), T(COLON), T(INDENT), T(WHILE), T(IDENT), T(GT), T(INT),
         T(COLON), T(INDENT), T(IDENT), T(MINUS_ASSIGN), T(INT), T(NEWLINE),
         T(DEDENT), T(DEDENT), T(IDENT), T(NEWLINE), T(DEDENT), T(LET),
         T(IDENT), T(ASSIGN), T(INT), T(NEWLINE));
}

static void test_lex_blocks_close_at_end_of_input(void **state) {
  EXPECT("if a:\n  if b:\n    c", T(IF), T(IDENT), T(COLON), T(INDENT), T(IF),
         T(IDENT), T(COLON), T(INDENT), T(IDENT), T(NEWLINE), T(DEDENT),
         T(DEDENT));
}

// Nested lambda blocks closed by `))` or by `)` lines give the same tokens.
static void test_lex_nested_blocks_close_with_brackets(void **state) {
  const char *a = "foo(a =>\n"
                  "    bar(b =>\n"
                  "        baz))\n";
  const char *b = "foo(a =>\n"
                  "    bar(b =>\n"
                  "        baz\n"
                  "    )\n"
                  ")\n";
  EXPECT(a, T(IDENT), T(LPAREN), T(IDENT), T(FAT_ARROW), T(INDENT), T(IDENT),
         T(LPAREN), T(IDENT), T(FAT_ARROW), T(INDENT), T(IDENT), T(NEWLINE),
         T(DEDENT), T(RPAREN), T(NEWLINE), T(DEDENT), T(RPAREN), T(NEWLINE));
  EXPECT(b, T(IDENT), T(LPAREN), T(IDENT), T(FAT_ARROW), T(INDENT), T(IDENT),
         T(LPAREN), T(IDENT), T(FAT_ARROW), T(INDENT), T(IDENT), T(NEWLINE),
         T(DEDENT), T(RPAREN), T(NEWLINE), T(DEDENT), T(RPAREN), T(NEWLINE));
}

static void test_lex_continuation_lines(void **state) {
  EXPECT("let t = a +\n"
         "        b\n"
         "let y = x\n"
         "    .f()\n"
         "  ?.g\n"
         "      -> h\n"
         "v :=\n"
         "   1\n"
         "v +=\n"
         " 2\n"
         "w =\n"
         "  c and\n"
         "  d\n",
         T(LET), T(IDENT), T(ASSIGN), T(IDENT), T(PLUS), T(IDENT), T(NEWLINE),
         T(LET), T(IDENT), T(ASSIGN), T(IDENT), T(DOT), T(IDENT), T(LPAREN),
         T(RPAREN), T(QDOT), T(IDENT), T(THIN_ARROW), T(IDENT), T(NEWLINE),
         T(IDENT), T(WALRUS), T(INT), T(NEWLINE), T(IDENT), T(PLUS_ASSIGN),
         T(INT), T(NEWLINE), T(IDENT), T(ASSIGN), T(IDENT), T(AND), T(IDENT),
         T(NEWLINE));
}

static void test_lex_brackets_suppress_layout(void **state) {
  EXPECT("x = [1,\n"
         "  2,\n"
         "      3]\n"
         "y = {\"a\":\n"
         "  1}\n",
         T(IDENT), T(ASSIGN), T(LBRACKET), T(INT), T(COMMA), T(INT), T(COMMA),
         T(INT), T(RBRACKET), T(NEWLINE), T(IDENT), T(ASSIGN), T(LBRACE),
         T(STRING), T(COLON), T(INDENT), T(INT), T(NEWLINE), T(DEDENT),
         T(RBRACE), T(NEWLINE));
}

static void test_lex_program_indented_as_a_whole(void **state) {
  EXPECT("\n"
         "        # a comment at column 0 does not count\n"
         "        event A:\n"
         "            x: int\n"
         "\n"
         "        stream S = A\n"
         "            .where(x > 1)\n",
         T(KW_EVENT), T(IDENT), T(COLON), T(INDENT), T(IDENT), T(COLON),
         T(IDENT), T(NEWLINE), T(DEDENT), T(KW_STREAM), T(IDENT), T(ASSIGN),
         T(IDENT), T(DOT), T(IDENT), T(LPAREN), T(IDENT), T(GT), T(INT),
         T(RPAREN), T(NEWLINE));
}

static void test_lex_dedent_inserts_comma_in_brackets(void **state) {
  EXPECT("f(\n"
         "    opts:\n"
         "        a: 1\n"
         "    b: 2,\n"
         "    c: 3\n"
         ")\n",
         T(IDENT), T(LPAREN), T(IDENT), T(COLON), T(INDENT), T(IDENT), T(COLON),
         T(INT), T(NEWLINE), T(DEDENT), T(COMMA), T(IDENT), T(COLON), T(INT),
         T(COMMA), T(IDENT), T(COLON), T(INT), T(RPAREN), T(NEWLINE));
}

static void test_lex_dedent_before_comma_inserts_nothing(void **state) {
  EXPECT("f(opts:\n"
         "      a: 1\n"
         "  , b: 2)\n",
         T(IDENT), T(LPAREN), T(IDENT), T(COLON), T(INDENT), T(IDENT), T(COLON),
         T(INT), T(NEWLINE), T(DEDENT), T(COMMA), T(IDENT), T(COLON), T(INT),
         T(RPAREN), T(NEWLINE));
}

static void test_lex_lambda_block_then_next_argument(void **state) {
  EXPECT("g(x =>\n"
         "    x\n"
         "  y)\n",
         T(IDENT), T(LPAREN), T(IDENT), T(FAT_ARROW), T(INDENT), T(IDENT),
         T(NEWLINE), T(DEDENT), T(COMMA), T(IDENT), T(RPAREN), T(NEWLINE));
}

static void test_lex_blank_and_comment_lines_are_ignored(void **state) {
  EXPECT("if a:\n"
         "\n"
         "# x\n"
         "        # deeper comment\n"
         "    b /* a\n"
         " multi-line comment */\n"
         "    c\r\n"
         "d\n",
         T(IF), T(IDENT), T(COLON), T(INDENT), T(IDENT), T(NEWLINE), T(IDENT),
         T(NEWLINE), T(DEDENT), T(IDENT), T(NEWLINE));
}

static void test_lex_empty_input(void **state) {
  vpc_token toks[4];
  assert_int_equal(lex("", toks), 0);
  assert_int_equal(lex("  # only a comment\n\n", toks), 0);
}

static void test_lex_newline_position_is_end_of_line(void **state) {
  vpc_token toks[16];
  int n = lex("foo(1)  # c\nbar\n", toks);
  assert_int_equal(n, 7);
  assert_int_equal(toks[4].kind, T(NEWLINE));
  assert_int_equal(toks[4].pos.line, 1);
  assert_int_equal(toks[4].pos.col, 7);
  assert_int_equal(toks[5].pos.line, 2);
  assert_int_equal(toks[5].pos.col, 1);
}

static void test_lex_integer_values(void **state) {
  vpc_token toks[16];
  int n = lex("0 42 007 9223372036854775807 9223372036854775808", toks);
  assert_int_equal(n, 6);
  assert_int_equal(toks[0].ival, 0);
  assert_int_equal(toks[1].ival, 42);
  assert_int_equal(toks[2].ival, 7);
  assert_true(toks[3].ival == INT64_MAX);
  assert_int_equal(toks[4].kind, T(INT));
  assert_true(toks[4].ival == INT64_MIN);  // only valid after unary '-'
  assert_int_equal(toks[0].pos.col, 1);
  assert_int_equal(toks[3].pos.col, 10);
  assert_int_equal(toks[3].pos.len, 19);
}

static void test_lex_float_values(void **state) {
  vpc_token toks[16];
  int n = lex("3.25 1.5e3 2.0E-2 7.0e+1", toks);
  assert_int_equal(n, 5);
  assert_int_equal(toks[0].kind, T(FLOAT));
  assert_true(toks[0].fval == 3.25);
  assert_true(toks[1].fval == 1500.0);
  assert_true(toks[2].fval == 0.02);
  assert_true(toks[3].fval == 70.0);
}

static void test_lex_range_is_not_a_float(void **state) {
  EXPECT("1..5 1..=5", T(INT), T(DOTDOT), T(INT), T(INT), T(DOTDOTEQ), T(INT),
         T(NEWLINE));
}

static void test_lex_string_escapes(void **state) {
  vpc_token toks[8];
  int n = lex("\"a\\n\\t\\r\\\\\\\"\\0b\\u{E9}\\u{1F600}\" \"{x}\" \"\" \"é\"",
              toks);
  assert_int_equal(n, 5);
  assert_int_equal(toks[0].kind, T(STRING));
  assert_int_equal(toks[0].slen, 14);
  assert_memory_equal(toks[0].str, "a\n\t\r\\\"\0b\xC3\xA9\xF0\x9F\x98\x80",
                      15);
  assert_string_equal(toks[1].str, "{x}");
  assert_int_equal(toks[2].slen, 0);
  assert_string_equal(toks[3].str, "é");
  assert_int_equal(toks[3].pos.col, 42);
  assert_int_equal(toks[3].pos.len, 3);  // in code points
}

static void test_lex_duration_values(void **state) {
  vpc_token toks[16];
  int n = lex("5ns 7us 250ms 3s 2m 1h 1d 0s", toks);
  assert_int_equal(n, 9);
  const int64_t want[] = {
    5, 7000, 250000000, 3000000000, 120000000000, 3600000000000, 86400000000000,
    0
  };
  for (int i = 0; i < 8; i++) {
    assert_int_equal(toks[i].kind, T(DURATION));
    assert_true(toks[i].ival == want[i]);
  }
}

static void test_lex_timestamp_values(void **state) {
  vpc_token toks[16];
  int n = lex("@1970-01-01 @2024-01-01 @2024-02-29T12:30:45 "
              "@2024-02-29T12:30:45Z @2024-01-01T00:00:00+01:00 "
              "@2024-01-01T00:00:00-05:30 @1969-12-31T23:59:59Z",
              toks);
  assert_int_equal(n, 8);
  const int64_t s[] = { 0,          1704067200, 1709209845, 1709209845,
                        1704063600, 1704087000, -1 };
  for (int i = 0; i < 7; i++) {
    assert_int_equal(toks[i].kind, T(TIMESTAMP));
    assert_true(toks[i].ival == s[i] * 1000000000);
  }
}

static void test_lex_keyword_literals(void **state) {
  EXPECT("true false null Ok Err", T(TRUE), T(FALSE), T(NULL), T(IDENT),
         T(IDENT), T(NEWLINE));
}

static void test_lex_operators_longest_match(void **state) {
  EXPECT("a?.b ?? c? => -> ..= .. := += -= *= /= %= ** == != <= >= << >> "
         "~ ^ & | % < > = + - * / . ; ,",
         T(IDENT), T(QDOT), T(IDENT), T(COALESCE), T(IDENT), T(QUESTION),
         T(FAT_ARROW), T(THIN_ARROW), T(DOTDOTEQ), T(DOTDOT), T(WALRUS),
         T(PLUS_ASSIGN), T(MINUS_ASSIGN), T(STAR_ASSIGN), T(SLASH_ASSIGN),
         T(PERCENT_ASSIGN), T(POW), T(EQ), T(NE), T(LE), T(GE), T(SHL), T(SHR),
         T(TILDE), T(CARET), T(AMP), T(PIPE), T(PERCENT), T(LT), T(GT),
         T(ASSIGN), T(PLUS), T(MINUS), T(STAR), T(SLASH), T(DOT), T(SEMI),
         T(COMMA), T(NEWLINE));
}

static void test_lex_contextual_keywords(void **state) {
  EXPECT("type Money = float\n"
         "event E:\n"
         "    type: str\n"
         "stream S = E.where(type == \"x\")\n"
         "supervision:\n"
         "    restart: \"always\"\n"
         "fn f() -> int:\n"
         "    stream = 1\n"
         "connector c = file(path: \"x\")\n"
         "config:\n"
         "    context: 1\n"
         "context ctx\n"
         "pattern p\n",
         T(KW_TYPE), T(IDENT), T(ASSIGN), T(IDENT), T(NEWLINE), T(KW_EVENT),
         T(IDENT), T(COLON), T(INDENT), T(IDENT), T(COLON), T(IDENT),
         T(NEWLINE), T(DEDENT), T(KW_STREAM), T(IDENT), T(ASSIGN), T(IDENT),
         T(DOT), T(IDENT), T(LPAREN), T(IDENT), T(EQ), T(STRING), T(RPAREN),
         T(NEWLINE), T(KW_SUPERVISION), T(COLON), T(INDENT), T(IDENT), T(COLON),
         T(STRING), T(NEWLINE), T(DEDENT), T(FN), T(IDENT), T(LPAREN),
         T(RPAREN), T(THIN_ARROW), T(IDENT), T(COLON), T(INDENT), T(IDENT),
         T(ASSIGN), T(INT), T(NEWLINE), T(DEDENT), T(KW_CONNECTOR), T(IDENT),
         T(ASSIGN), T(IDENT), T(LPAREN), T(IDENT), T(COLON), T(STRING),
         T(RPAREN), T(NEWLINE), T(KW_CONFIG), T(COLON), T(INDENT), T(IDENT),
         T(COLON), T(INT), T(NEWLINE), T(DEDENT), T(KW_CONTEXT), T(IDENT),
         T(NEWLINE), T(KW_PATTERN), T(IDENT), T(NEWLINE));
}

static void test_lex_any_word_positions(void **state) {
  EXPECT("r.in\n"
         "x = {if: 1, not : 2}\n"
         "s.log(level: \"warn\", for: 3)\n"
         "a?.true\n"
         "event E:\n"
         "    in: int\n",
         T(IDENT), T(DOT), T(IDENT), T(NEWLINE), T(IDENT), T(ASSIGN), T(LBRACE),
         T(IDENT), T(COLON), T(INT), T(COMMA), T(IDENT), T(COLON), T(INT),
         T(RBRACE), T(NEWLINE), T(IDENT), T(DOT), T(IDENT), T(LPAREN), T(IDENT),
         T(COLON), T(STRING), T(COMMA), T(IDENT), T(COLON), T(INT), T(RPAREN),
         T(NEWLINE), T(IDENT), T(QDOT), T(IDENT), T(NEWLINE), T(KW_EVENT),
         T(IDENT), T(COLON), T(INDENT), T(IDENT), T(COLON), T(IDENT),
         T(NEWLINE), T(DEDENT));
}

// Reserved words before ':' stay keywords outside key positions.
static void test_lex_keywords_before_colon(void **state) {
  EXPECT("while true:\n"
         "    if x is null:\n"
         "        break\n"
         "    else:\n"
         "        y := 1\n",
         T(WHILE), T(TRUE), T(COLON), T(INDENT), T(IF), T(IDENT), T(IS),
         T(NULL), T(COLON), T(INDENT), T(BREAK), T(NEWLINE), T(DEDENT), T(ELSE),
         T(COLON), T(INDENT), T(IDENT), T(WALRUS), T(INT), T(NEWLINE),
         T(DEDENT), T(DEDENT));
}

static void test_lex_token_names(void **state) {
  assert_string_equal(vpc_token_name(0), "end of input");
  assert_string_equal(vpc_token_name(T(IDENT)), "identifier");
  assert_string_equal(vpc_token_name(T(INT)), "integer");
  assert_string_equal(vpc_token_name(T(STRING)), "string");
  assert_string_equal(vpc_token_name(T(NEWLINE)), "end of line");
  assert_string_equal(vpc_token_name(T(INDENT)), "indent");
  assert_string_equal(vpc_token_name(T(DEDENT)), "dedent");
  assert_string_equal(vpc_token_name(T(FAT_ARROW)), "'=>'");
  assert_string_equal(vpc_token_name(T(LPAREN)), "'('");
  assert_string_equal(vpc_token_name(T(AND)), "'and'");
  assert_string_equal(vpc_token_name(T(COALESCE)), "'?\?'");
  for (int k = 0; k <= T(SEMI); k++)
    assert_string_not_equal(vpc_token_name(k), "token");
}

static void test_lex_source_errors(void **state) {
  expect_error("if a:\n\tb\n", "2:1", "tabs are not allowed in indentation");
  expect_no_error("x = 1\t+\t2   \t\n \t\n");
  expect_error("x = é\n", "1:5",
               "non-ASCII character outside a string or comment");
  expect_error("\"é\" x $\n", "1:7", "unexpected character '$'");
  expect_error_n("a\0b", 3, "1:2", "unexpected character (byte 0x00)");
  expect_error("x = \"\xff\"\n", "1:6", "invalid UTF-8");
  expect_error("# \xc3\x28\n", "1:3", "invalid UTF-8");
  expect_error("a\n\xe9", "2:1", "invalid UTF-8");
  expect_no_error("# café\n/* ü */ x = \"naïve\"\n");
}

static void test_lex_comment_errors(void **state) {
  expect_error("x = 1 // hi\n", "1:7", "'//' is not a comment in VPL; use '#'");
  expect_error("x /* abc\n\n", "1:3", "unterminated comment");
}

static void test_lex_operator_errors(void **state) {
  char *out = errors_of_n("a && b", 6);
  assert_non_null(strstr(out, "t.vpl:1:3: error: '&&' is not an operator in "
                              "VPL\na && b\n  ^~\nhint: use and / or / not\n"));
  free(out);
  expect_error("a || b", "1:3", "'||' is not an operator in VPL");
  expect_error("x = !a", "1:5", "'!' is not an operator in VPL");
  expect_no_error("a != b");
}

static void test_lex_string_errors(void **state) {
  expect_error("x = \"abc\ny = 1\n", "1:5", "unterminated string literal");
  expect_error("x = \"abc", "1:5", "unterminated string literal");
  expect_error("x = 'a'\n", "1:5",
               "strings use double quotes; single quotes are not allowed");
  expect_error("\"a\\qb\"", "1:3", "invalid escape sequence '\\q'");
  expect_error("\"\\u{110000}\"", "1:2",
               "invalid Unicode escape (use \\u{...} with 1 to 6 hex digits "
               "of a Unicode scalar value)");
  expect_error("\"x\\u{}\"", "1:3",
               "invalid Unicode escape (use \\u{...} with 1 to 6 hex digits "
               "of a Unicode scalar value)");
  expect_error("\"\\u{D800}\"", "1:2",
               "invalid Unicode escape (use \\u{...} with 1 to 6 hex digits "
               "of a Unicode scalar value)");
  expect_error("\"\\u{1234567}\"", "1:2",
               "invalid Unicode escape (use \\u{...} with 1 to 6 hex digits "
               "of a Unicode scalar value)");
}

static void test_lex_number_errors(void **state) {
  expect_error("x = 99999999999999999999\n", "1:5",
               "integer literal '99999999999999999999' is too large "
               "(maximum 9223372036854775807)");
  expect_error("9223372036854775809", "1:1",
               "integer literal '9223372036854775809' is too large "
               "(maximum 9223372036854775807)");
  expect_error("x = 1e10\n", "1:5",
               "invalid float literal '1e10': a float needs a '.' with "
               "digits on both sides (write 1.0e10)");
  expect_error("x = 2E-3\n", "1:5",
               "invalid float literal '2E-3': a float needs a '.' with "
               "digits on both sides (write 2.0E-3)");
  expect_error("x = .5\n", "1:5",
               "invalid float literal '.5': a float needs a '.' with "
               "digits on both sides (write 0.5)");
  expect_error("x = 5.\n", "1:5",
               "invalid float literal '5.': a float needs a '.' with "
               "digits on both sides (write 5.0)");
  expect_error("x = 12ab\n", "1:5", "invalid number literal '12ab'");
  expect_error("x = 3.5x\n", "1:5", "invalid number literal '3.5x'");
  expect_error("x = 1.0e999\n", "1:5",
               "float literal '1.0e999' is out of range");
}

static void test_lex_duration_errors(void **state) {
  expect_error("x = 5sec\n", "1:5",
               "invalid duration literal '5sec' (units: ns, us, ms, s, m, h, "
               "d)");
  expect_error("x = 1h30m\n", "1:5",
               "invalid duration literal '1h30m' (units: ns, us, ms, s, m, "
               "h, d)");
  expect_error("x = 9999999999d\n", "1:5",
               "duration literal '9999999999d' is too large");
  expect_no_error("x = 106751d");
}

static void test_lex_timestamp_errors(void **state) {
  expect_error("t = @2024-13-01\n", "1:5",
               "invalid timestamp literal '@2024-13-01': month out of range");
  expect_error("t = @2023-02-29\n", "1:5",
               "invalid timestamp literal '@2023-02-29': day out of range");
  expect_error("t = @2024-01-01T25:00:00\n", "1:5",
               "invalid timestamp literal '@2024-01-01T25:00:00': hour out of "
               "range");
  expect_error("t = @2024-01-01T10:00:00+24:00\n", "1:5",
               "invalid timestamp literal '@2024-01-01T10:00:00+24:00': zone "
               "offset out of range");
  expect_error("t = @2024-1-1\n", "1:5",
               "invalid timestamp literal '@2024-1-1' (expected "
               "@YYYY-MM-DD[THH:MM:SS[Z|+HH:MM|-HH:MM]])");
  expect_error("t = @3000-01-01\n", "1:5",
               "timestamp literal '@3000-01-01' is out of range");
}

static void test_lex_identifier_too_long(void **state) {
  char src[300];
  memset(src, 'a', 256);
  src[256] = '\0';
  expect_error(src, "1:1", "identifier is longer than 255 bytes");
  src[255] = '\0';
  expect_no_error(src);
}

static void test_lex_layout_errors(void **state) {
  expect_error("if a:\nb\n", "1:5", "expected an indented block");
  expect_error("f(x =>\n)\n", "1:5", "expected an indented block");
  expect_error("if a:", "1:5", "expected an indented block");
  expect_error("a[1:\n]\n", "1:4", "expected an indented block");
  expect_error("a\n  b\n", "2:3", "unexpected indent");
  expect_error("if a:\n    b\n  c\n", "3:3", "inconsistent dedent");
  expect_error("  a\nb\n", "2:1", "line is left of the program's first line");
  expect_error("  if a:\n      b\n c\n", "3:2",
               "line is left of the program's first line");
}

static void test_lex_bracket_errors(void **state) {
  expect_error("a)\n", "1:2", "unmatched ')'");
  expect_error("f(a\n", "1:2", "unclosed '('");
  expect_error("f(a]\n", "1:4", "unmatched ']'");
  expect_error("f(a]\n", "1:2", "unclosed '('");
  expect_error("f(a[1)\n", "1:4", "unclosed '['");
}

static const char sample[] =
    "  # sample\n"
    "  event Order:\n"
    "      id: str\n"
    "      at: timestamp?\n"
    "  const LIMIT = 9223372036854775808\n"
    "  fn f(o: Order) -> Result<float>:\n"
    "      if o.id == \"x\\u{E9}\\n\" and not false:\n"
    "          return Err(\"é\")\n"
    "      /* block\n  comment */ let d = 5ms + 1.5 ** 2 ?? "
    "@2024-01-01T00:00:00Z\n"
    "      Ok(o?.at)\n"
    "  stream S = Order\n"
    "      .where(x in [1, 2] and {if: 1}[\"if\"] != 0)\n"
    "      .concurrent(supervision:\n"
    "          restart: \"always\"\n"
    "        max_workers: 4)\n"
    "      .process(o =>\n"
    "          f(o)?))\n";

// Every prefix of a sample program, cut at every byte (through UTF-8
// sequences, strings, comments and escapes), lexes to the end.
static void test_lex_every_prefix_terminates(void **state) {
  size_t n = sizeof sample - 1;
  for (size_t i = 0; i <= n; i++) {
    char *out = errors_of_n(sample, i);
    free(out);
  }
}

// Random bytes, biased towards characters that matter to the lexer, never
// crash or hang the lexer.
static void test_lex_random_bytes_terminate(void **state) {
  static const char alphabet[] = " \n\n\t\r()[]{}:=>.-?,\"'\\#/*@0123456789"
                                 "eamsTZu_x\xc3\xa9\xff";
  uint32_t seed_value = 12345;
  char buf[400];
  for (int round = 0; round < 40; round++) {
    for (size_t i = 0; i < sizeof buf; i++) {
      seed_value = seed_value * 1103515245 + 12345;
      int r = (int)(seed_value >> 16);
      buf[i] =
          r % 7 == 0 ? (char)(r >> 3) : alphabet[r % (sizeof alphabet - 1)];
    }
    char *out = errors_of_n(buf, sizeof buf);
    free(out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lex_worked_example),
    cmocka_unit_test(test_lex_close_paren_on_last_line),
    cmocka_unit_test(test_lex_worked_example_stream_has_no_error),
    cmocka_unit_test(test_lex_several_blocks_close_at_once),
    cmocka_unit_test(test_lex_blocks_close_at_end_of_input),
    cmocka_unit_test(test_lex_nested_blocks_close_with_brackets),
    cmocka_unit_test(test_lex_continuation_lines),
    cmocka_unit_test(test_lex_brackets_suppress_layout),
    cmocka_unit_test(test_lex_program_indented_as_a_whole),
    cmocka_unit_test(test_lex_dedent_inserts_comma_in_brackets),
    cmocka_unit_test(test_lex_dedent_before_comma_inserts_nothing),
    cmocka_unit_test(test_lex_lambda_block_then_next_argument),
    cmocka_unit_test(test_lex_blank_and_comment_lines_are_ignored),
    cmocka_unit_test(test_lex_empty_input),
    cmocka_unit_test(test_lex_newline_position_is_end_of_line),
    cmocka_unit_test(test_lex_integer_values),
    cmocka_unit_test(test_lex_float_values),
    cmocka_unit_test(test_lex_range_is_not_a_float),
    cmocka_unit_test(test_lex_string_escapes),
    cmocka_unit_test(test_lex_duration_values),
    cmocka_unit_test(test_lex_timestamp_values),
    cmocka_unit_test(test_lex_keyword_literals),
    cmocka_unit_test(test_lex_operators_longest_match),
    cmocka_unit_test(test_lex_contextual_keywords),
    cmocka_unit_test(test_lex_any_word_positions),
    cmocka_unit_test(test_lex_keywords_before_colon),
    cmocka_unit_test(test_lex_token_names),
    cmocka_unit_test(test_lex_source_errors),
    cmocka_unit_test(test_lex_comment_errors),
    cmocka_unit_test(test_lex_operator_errors),
    cmocka_unit_test(test_lex_string_errors),
    cmocka_unit_test(test_lex_number_errors),
    cmocka_unit_test(test_lex_duration_errors),
    cmocka_unit_test(test_lex_timestamp_errors),
    cmocka_unit_test(test_lex_identifier_too_long),
    cmocka_unit_test(test_lex_layout_errors),
    cmocka_unit_test(test_lex_bracket_errors),
    cmocka_unit_test(test_lex_every_prefix_terminates),
    cmocka_unit_test(test_lex_random_bytes_terminate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
