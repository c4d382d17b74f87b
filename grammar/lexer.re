// The raw scanner (LANGUAGE.md 1.1-1.5): bytes to tokens with positions
// and decoded values, reporting lexical errors through diag.c and skipping
// past them. compiler/lex.c runs the layout filter of 1.6 over its output.
// SPDX-License-Identifier: MIT
#include "lex.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define MAX_IDENT 255

void vpc_lex_scan_init(vpc_scanner *s, int file, const char *text,
                       size_t len) {
  memset(s, 0, sizeof *s);
  s->file = file;
  s->text = s->cur = s->line_start = text;
  s->lim = text + len;
  s->tp = s->tline_start = text;
  s->tline = s->tcol = 1;
}

// Moves the position tracker to p and returns p's position. Callers ask
// for positions in increasing order, so the walk is linear overall; going
// back (rare, error paths only) rescans from the start of a line.
static vpc_pos pos_at(vpc_scanner *s, const char *p) {
  if (p < s->tline_start) {
    s->tp = s->tline_start = s->text;
    s->tline = s->tcol = 1;
  } else if (p < s->tp) {
    s->tp = s->tline_start;
    s->tcol = 1;
  }
  while (s->tp < p) {
    unsigned char c = (unsigned char)*s->tp++;
    if (c == '\n') {
      s->tline++;
      s->tcol = 1;
      s->tline_start = s->tp;
    } else if ((c & 0xC0) != 0x80) {
      s->tcol++;
    }
  }
  return (vpc_pos){ s->file, s->tline, s->tcol, 1 };
}

// The position of the bytes [a, b) on one line, with their width.
static vpc_pos span(vpc_scanner *s, const char *a, const char *b) {
  vpc_pos p = pos_at(s, a);
  vpc_pos e = pos_at(s, b);
  p.len = e.line == p.line && e.col > p.col ? e.col - p.col : 1;
  return p;
}

__attribute__((format(printf, 4, 5))) static void
err(vpc_scanner *s, const char *a, const char *b, const char *fmt, ...) {
  if (vpc_diag_saturated())
    return;
  va_list ap;
  va_start(ap, fmt);
  char *msg = vpc_vformat(fmt, ap);
  va_end(ap);
  vpc_error(span(s, a, b), "%s", msg);
}

static int is_word_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

// Returns the length of the valid UTF-8 sequence at p (before end), or 0.
static int utf8_len(const char *p, const char *end) {
  const unsigned char *u = (const unsigned char *)p;
  int n;
  uint32_t min, cp;
  if (u[0] < 0x80)
    return 1;
  if (u[0] >= 0xC2 && u[0] <= 0xDF)
    n = 2, min = 0x80, cp = u[0] & 0x1F;
  else if (u[0] >= 0xE0 && u[0] <= 0xEF)
    n = 3, min = 0x800, cp = u[0] & 0x0F;
  else if (u[0] >= 0xF0 && u[0] <= 0xF4)
    n = 4, min = 0x10000, cp = u[0] & 0x07;
  else
    return 0;
  if (end - p < n)
    return 0;
  for (int i = 1; i < n; i++) {
    if ((u[i] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (u[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

// The first token or comment of a physical line checks the line's leading
// whitespace for tabs (1.1).
static void check_indent(vpc_scanner *s, const char *tk) {
  if (s->line_seen)
    return;
  s->line_seen = 1;
  const char *tab = memchr(s->line_start, '\t', (size_t)(tk - s->line_start));
  if (tab)
    err(s, tab, tab + 1, "tabs are not allowed in indentation");
}

// Skips text up to the end of the line, checking its UTF-8.
static void skip_line(vpc_scanner *s, const char *p) {
  while (p < s->lim && *p != '\n') {
    int n = utf8_len(p, s->lim);
    if (!n) {
      err(s, p, p + 1, "invalid UTF-8");
      n = 1;
    }
    p += n;
  }
  s->cur = p;
}

// A "/* ... */" comment starting at tk; it does not nest.
static void block_comment(vpc_scanner *s, const char *tk) {
  vpc_pos start = span(s, tk, tk + 2);
  const char *p = tk + 2;
  while (p < s->lim && !(p[0] == '*' && p[1] == '/')) {
    int n = utf8_len(p, s->lim);
    if (!n) {
      err(s, p, p + 1, "invalid UTF-8");
      n = 1;
    }
    if (*p == '\n')
      s->line_start = p + 1;
    p += n;
  }
  if (p >= s->lim) {
    if (!vpc_diag_saturated())
      vpc_error(start, "unterminated comment");
    s->cur = s->lim;
  } else {
    s->cur = p + 2;
  }
}

static int finish(vpc_scanner *s, vpc_token *tok, const char *tk, int kind) {
  tok->kind = kind;
  tok->pos = span(s, tk, s->cur);
  tok->text = tk;
  tok->len = (int)(s->cur - tk);
  return kind;
}

// Consumes word characters glued to a literal (`5sec`, `12ab`); returns
// whether there were any.
static int glued(vpc_scanner *s) {
  if (!is_word_char((unsigned char)*s->cur))
    return 0;
  while (is_word_char((unsigned char)*s->cur))
    s->cur++;
  return 1;
}

// Parses the decimal digits [p, end); returns 0 on uint64 overflow.
static int parse_digits(const char *p, const char *end, uint64_t *v) {
  *v = 0;
  for (; p < end; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (*v > (UINT64_MAX - d) / 10)
      return 0;
    *v = *v * 10 + d;
  }
  return 1;
}

// The float literal a malformed one means: 1e10 as 1.0e10, .5 as 0.5,
// 5. as 5.0.
static const char *float_fix(const char *text) {
  const char *dot = strchr(text, '.');
  if (!dot) {
    size_t m = strcspn(text, "eE");
    return vpc_format("%.*s.0%s", (int)m, text, text + m);
  }
  if (dot == text)
    return vpc_format("0%s", text);
  return vpc_format("%.*s0%s", (int)(dot + 1 - text), text, dot + 1);
}

static int float_tok(vpc_scanner *s, vpc_token *tok, const char *tk,
                     int bad) {
  int stuck = glued(s);
  int len = (int)(s->cur - tk);
  char *text = vpc_strndup(tk, (size_t)len);
  if (stuck)
    err(s, tk, s->cur, "invalid number literal '%s'", text);
  else if (bad)
    err(s, tk, s->cur,
        "invalid float literal '%s': a float needs a '.' with digits on "
        "both sides (write %s)",
        text, float_fix(text));
  bad = bad || stuck;
  tok->fval = strtod(text, NULL);
  if (!bad && isinf(tok->fval))
    err(s, tk, s->cur, "float literal '%s' is out of range", text);
  return finish(s, tok, tk, VPC_TK_FLOAT);
}

// An integer: 2^63 becomes INT64_MIN for the parser to accept after a
// unary minus (see lex.h).
static int int_tok(vpc_scanner *s, vpc_token *tok, const char *tk) {
  if (s->cur[0] == '.' && s->cur[1] != '.' &&
      !is_word_char((unsigned char)s->cur[1])) {
    s->cur++;
    return float_tok(s, tok, tk, 1);
  }
  const char *end = s->cur;
  if (glued(s)) {
    err(s, tk, s->cur, "invalid number literal '%.*s'", (int)(s->cur - tk),
        tk);
    return finish(s, tok, tk, VPC_TK_INT);
  }
  uint64_t v;
  int ok = parse_digits(tk, end, &v);
  if (ok && v == (uint64_t)INT64_MAX + 1) {
    tok->ival = INT64_MIN;
  } else if (!ok || v > (uint64_t)INT64_MAX) {
    err(s, tk, end,
        "integer literal '%.*s' is too large (maximum "
        "9223372036854775807)",
        (int)(end - tk), tk);
    tok->ival = INT64_MAX;
  } else {
    tok->ival = (int64_t)v;
  }
  return finish(s, tok, tk, VPC_TK_INT);
}

static int64_t unit_ns(const char *u, const char *end) {
  switch (u[0]) {
  case 'n':
    return 1;
  case 'u':
    return 1000;
  case 'm':
    return end - u == 2 ? 1000000 : 60000000000;
  case 's':
    return 1000000000;
  case 'h':
    return 3600000000000;
  default:
    return 86400000000000;
  }
}

static int duration_tok(vpc_scanner *s, vpc_token *tok, const char *tk) {
  const char *end = s->cur, *u = tk;
  while (*u >= '0' && *u <= '9')
    u++;
  if (glued(s)) {
    err(s, tk, s->cur,
        "invalid duration literal '%.*s' (units: ns, us, ms, s, m, h, d)",
        (int)(s->cur - tk), tk);
    return finish(s, tok, tk, VPC_TK_DURATION);
  }
  uint64_t v;
  int64_t ns;
  if (!parse_digits(tk, u, &v) || v > (uint64_t)INT64_MAX ||
      __builtin_mul_overflow((int64_t)v, unit_ns(u, end), &ns)) {
    err(s, tk, end, "duration literal '%.*s' is too large", (int)(end - tk),
        tk);
    ns = INT64_MAX;
  }
  tok->ival = ns;
  return finish(s, tok, tk, VPC_TK_DURATION);
}

static int num2(const char *p) {
  return (p[0] - '0') * 10 + (p[1] - '0');
}

// Days since 1970-01-01 of a proleptic Gregorian date.
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// Checks the parts of a timestamp of the form @YYYY-MM-DD[THH:MM:SS[zone]]
// and returns NULL with *ns set, or the name of the bad part.
static const char *timestamp_value(const char *t, int len, int64_t *ns) {
  int y = num2(t + 1) * 100 + num2(t + 3), mo = num2(t + 6), d = num2(t + 9);
  int h = 0, mi = 0, sec = 0, off = 0;
  if (mo < 1 || mo > 12)
    return "month";
  if (d < 1 || d > days_in_month(y, mo))
    return "day";
  if (len > 11) {
    h = num2(t + 12), mi = num2(t + 15), sec = num2(t + 18);
    if (h > 23)
      return "hour";
    if (mi > 59)
      return "minute";
    if (sec > 59)
      return "second";
  }
  if (len > 21) {
    int zh = num2(t + 21), zm = num2(t + 24);
    if (zh > 23 || zm > 59)
      return "zone offset";
    off = (zh * 60 + zm) * 60 * (t[20] == '-' ? -1 : 1);
  }
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                 sec - off;
  if (__builtin_mul_overflow(secs, (int64_t)1000000000, ns))
    return "";
  return NULL;
}

static int timestamp_tok(vpc_scanner *s, vpc_token *tok, const char *tk) {
  int len = (int)(s->cur - tk);
  if (glued(s)) {
    while (is_word_char((unsigned char)*s->cur) || *s->cur == ':')
      s->cur++;
    err(s, tk, s->cur, "invalid timestamp literal '%.*s'",
        (int)(s->cur - tk), tk);
    return finish(s, tok, tk, VPC_TK_TIMESTAMP);
  }
  const char *bad = timestamp_value(tk, len, &tok->ival);
  if (bad && *bad)
    err(s, tk, s->cur, "invalid timestamp literal '%.*s': %s out of range",
        len, tk, bad);
  else if (bad)
    err(s, tk, s->cur, "timestamp literal '%.*s' is out of range", len, tk);
  return finish(s, tok, tk, VPC_TK_TIMESTAMP);
}

static int hex_value(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

// Decodes "\u{H...}" at p (before end) into *o; returns the bytes written
// and moves *pp past the escape, reporting a bad one.
static int unicode_escape(vpc_scanner *s, const char **pp, const char *end,
                          char *o) {
  const char *p = *pp, *q = p + 2;
  uint32_t cp = 0;
  int n = 0;
  if (q < end && *q == '{') {
    for (q++; q < end && hex_value((unsigned char)*q) >= 0; q++, n++)
      if (n < 6)
        cp = cp << 4 | (uint32_t)hex_value((unsigned char)*q);
  }
  int closed = q < end && *q == '}' && p[2] == '{';
  *pp = closed ? q + 1 : q;
  if (!closed || n < 1 || n > 6 || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    err(s, p, *pp,
        "invalid Unicode escape (use \\u{...} with 1 to 6 hex digits of a "
        "Unicode scalar value)");
    return 0;
  }
  return put_utf8(o, cp);
}

// Decodes one escape sequence at p into *o (see 1.4).
static int escape(vpc_scanner *s, const char **pp, const char *end, char *o) {
  const char *p = *pp;
  static const char from[] = "ntr\\\"0", to[] = "\n\t\r\\\"";
  const char *e = p + 1 < end ? strchr(from, p[1]) : NULL;
  if (e && *e) {
    *pp = p + 2;
    *o = to[e - from];
    return 1;
  }
  if (p + 1 < end && p[1] == 'u')
    return unicode_escape(s, pp, end, o);
  int n = p + 1 < end ? utf8_len(p + 1, end) : 0;
  *pp = p + 1 + (n ? n : p + 1 < end);
  if (p[1] > ' ' && p[1] < 0x7F)
    err(s, p, *pp, "invalid escape sequence '\\%c'", p[1]);
  else
    err(s, p, *pp, "invalid escape sequence");
  return 0;
}

// A string literal whose opening quote q is at tk. It must close on the
// same line; a missing close is reported and the token ends at the line's
// end.
static int string_tok(vpc_scanner *s, vpc_token *tok, const char *tk, char q) {
  const char *p = tk + 1, *end = p;
  while (end < s->lim && *end != q && *end != '\n') {
    if (*end == '\\' && end + 1 < s->lim && end[1] != '\n')
      end++;
    end++;
  }
  int closed = end < s->lim && *end == q;
  if (!closed)
    err(s, tk, tk + 1, "unterminated string literal");

  char *out = vpc_alloc((size_t)(end - p) + 1), *o = out;
  while (p < end) {
    if (*p == '\\') {
      o += escape(s, &p, end, o);
      continue;
    }
    int n = utf8_len(p, end);
    if (!n) {
      err(s, p, p + 1, "invalid UTF-8");
      p++;
      continue;
    }
    memcpy(o, p, (size_t)n);
    o += n;
    p += n;
  }
  *o = '\0';
  tok->str = out;
  tok->slen = (int)(o - out);
  s->cur = closed ? end + 1 : end;
  return finish(s, tok, tk, VPC_TK_STRING);
}

static int word_tok(vpc_scanner *s, vpc_token *tok, const char *tk,
                    int kind) {
  if (s->cur - tk > MAX_IDENT)
    err(s, tk, s->cur, "identifier is longer than %d bytes", MAX_IDENT);
  if (kind == VPC_TK_IDENT)
    tok->str = vpc_strndup(tk, (size_t)(s->cur - tk));
  return finish(s, tok, tk, kind);
}

// `&&`, `||` and `!` are reported and stand in for and, or, not.
static int c_operator(vpc_scanner *s, vpc_token *tok, const char *tk,
                      int kind) {
  if (!vpc_diag_saturated())
    vpc_error_hint(span(s, tk, s->cur), "use and / or / not",
                   "'%.*s' is not an operator in VPL", (int)(s->cur - tk),
                   tk);
  return finish(s, tok, tk, kind);
}

// A byte that starts no token: reported, then skipped with the rest of
// its UTF-8 sequence.
static void stray(vpc_scanner *s, const char *tk) {
  unsigned char c = (unsigned char)*tk;
  int n = utf8_len(tk, s->lim);
  if (!n) {
    err(s, tk, tk + 1, "invalid UTF-8");
    n = 1;
  } else if (n > 1) {
    err(s, tk, tk + n, "non-ASCII character outside a string or comment");
  } else if (c > ' ' && c < 0x7F) {
    err(s, tk, tk + 1, "unexpected character '%c'", c);
  } else {
    err(s, tk, tk + 1, "unexpected character (byte 0x%02X)", c);
  }
  s->cur = tk + n;
}

int vpc_lex_scan(vpc_scanner *s, vpc_token *tok) {
  memset(tok, 0, sizeof *tok);
  for (;;) {
    const char *tk = s->cur, *mk;
    if (*tk != ' ' && *tk != '\t' && *tk != '\r' && *tk != '\n' &&
        tk < s->lim)
      check_indent(s, tk);
    /*!re2c
      re2c:define:YYCTYPE = "unsigned char";
      re2c:define:YYCURSOR = "s->cur";
      re2c:define:YYLIMIT = "s->lim";
      re2c:define:YYMARKER = "mk";
      re2c:yyfill:enable = 0;
      re2c:eof = 0;

      dig = [0-9];
      exp = [eE] [+-]? dig+;
      ident = [A-Za-z_] [A-Za-z0-9_]*;
      date = "@" dig{4} "-" dig{2} "-" dig{2};
      zone = "Z" | [+-] dig{2} ":" dig{2};

      $ { tok->kind = 0; tok->pos = pos_at(s, s->lim); tok->text = s->lim;
          return 0; }
      * { stray(s, tk); continue; }

      [ \t\r]+ { continue; }
      "\n" { s->line_start = s->cur; s->line_seen = 0; continue; }
      "#" { skip_line(s, s->cur); continue; }
      "/*" { block_comment(s, tk); continue; }
      "//" {
        err(s, tk, s->cur, "'//' is not a comment in VPL; use '#'");
        skip_line(s, s->cur);
        continue;
      }

      "\"" { return string_tok(s, tok, tk, '"'); }
      "'" {
        err(s, tk, tk + 1,
            "strings use double quotes; single quotes are not allowed");
        return string_tok(s, tok, tk, '\'');
      }

      dig+ { return int_tok(s, tok, tk); }
      dig+ "." dig+ exp? { return float_tok(s, tok, tk, 0); }
      dig+ exp | "." dig+ exp? { return float_tok(s, tok, tk, 1); }
      dig+ ("ns" | "us" | "ms" | "s" | "m" | "h" | "d") {
        return duration_tok(s, tok, tk);
      }
      date ("T" dig{2} ":" dig{2} ":" dig{2} zone?)? {
        return timestamp_tok(s, tok, tk);
      }
      "@" [A-Za-z0-9_:-]* {
        err(s, tk, s->cur,
            "invalid timestamp literal '%.*s' (expected "
            "@YYYY-MM-DD[THH:MM:SS[Z|+HH:MM|-HH:MM]])",
            (int)(s->cur - tk), tk);
        return finish(s, tok, tk, VPC_TK_TIMESTAMP);
      }

      "and" { return word_tok(s, tok, tk, VPC_TK_AND); }
      "as" { return word_tok(s, tok, tk, VPC_TK_AS); }
      "break" { return word_tok(s, tok, tk, VPC_TK_BREAK); }
      "const" { return word_tok(s, tok, tk, VPC_TK_CONST); }
      "continue" { return word_tok(s, tok, tk, VPC_TK_CONTINUE); }
      "elif" { return word_tok(s, tok, tk, VPC_TK_ELIF); }
      "else" { return word_tok(s, tok, tk, VPC_TK_ELSE); }
      "emit" { return word_tok(s, tok, tk, VPC_TK_EMIT); }
      "false" { return word_tok(s, tok, tk, VPC_TK_FALSE); }
      "fn" { return word_tok(s, tok, tk, VPC_TK_FN); }
      "for" { return word_tok(s, tok, tk, VPC_TK_FOR); }
      "if" { return word_tok(s, tok, tk, VPC_TK_IF); }
      "import" { return word_tok(s, tok, tk, VPC_TK_IMPORT); }
      "in" { return word_tok(s, tok, tk, VPC_TK_IN); }
      "is" { return word_tok(s, tok, tk, VPC_TK_IS); }
      "let" { return word_tok(s, tok, tk, VPC_TK_LET); }
      "not" { return word_tok(s, tok, tk, VPC_TK_NOT); }
      "null" { return word_tok(s, tok, tk, VPC_TK_NULL); }
      "or" { return word_tok(s, tok, tk, VPC_TK_OR); }
      "return" { return word_tok(s, tok, tk, VPC_TK_RETURN); }
      "then" { return word_tok(s, tok, tk, VPC_TK_THEN); }
      "true" { return word_tok(s, tok, tk, VPC_TK_TRUE); }
      "var" { return word_tok(s, tok, tk, VPC_TK_VAR); }
      "while" { return word_tok(s, tok, tk, VPC_TK_WHILE); }
      ident { return word_tok(s, tok, tk, VPC_TK_IDENT); }

      "+" { return finish(s, tok, tk, VPC_TK_PLUS); }
      "-" { return finish(s, tok, tk, VPC_TK_MINUS); }
      "*" { return finish(s, tok, tk, VPC_TK_STAR); }
      "/" { return finish(s, tok, tk, VPC_TK_SLASH); }
      "%" { return finish(s, tok, tk, VPC_TK_PERCENT); }
      "**" { return finish(s, tok, tk, VPC_TK_POW); }
      "==" { return finish(s, tok, tk, VPC_TK_EQ); }
      "!=" { return finish(s, tok, tk, VPC_TK_NE); }
      "<" { return finish(s, tok, tk, VPC_TK_LT); }
      "<=" { return finish(s, tok, tk, VPC_TK_LE); }
      ">" { return finish(s, tok, tk, VPC_TK_GT); }
      ">=" { return finish(s, tok, tk, VPC_TK_GE); }
      "&" { return finish(s, tok, tk, VPC_TK_AMP); }
      "|" { return finish(s, tok, tk, VPC_TK_PIPE); }
      "^" { return finish(s, tok, tk, VPC_TK_CARET); }
      "~" { return finish(s, tok, tk, VPC_TK_TILDE); }
      "<<" { return finish(s, tok, tk, VPC_TK_SHL); }
      ">>" { return finish(s, tok, tk, VPC_TK_SHR); }
      "=" { return finish(s, tok, tk, VPC_TK_ASSIGN); }
      ":=" { return finish(s, tok, tk, VPC_TK_WALRUS); }
      "+=" { return finish(s, tok, tk, VPC_TK_PLUS_ASSIGN); }
      "-=" { return finish(s, tok, tk, VPC_TK_MINUS_ASSIGN); }
      "*=" { return finish(s, tok, tk, VPC_TK_STAR_ASSIGN); }
      "/=" { return finish(s, tok, tk, VPC_TK_SLASH_ASSIGN); }
      "%=" { return finish(s, tok, tk, VPC_TK_PERCENT_ASSIGN); }
      "." { return finish(s, tok, tk, VPC_TK_DOT); }
      "?." { return finish(s, tok, tk, VPC_TK_QDOT); }
      "??" { return finish(s, tok, tk, VPC_TK_COALESCE); }
      "?" { return finish(s, tok, tk, VPC_TK_QUESTION); }
      "=>" { return finish(s, tok, tk, VPC_TK_FAT_ARROW); }
      "->" { return finish(s, tok, tk, VPC_TK_THIN_ARROW); }
      ".." { return finish(s, tok, tk, VPC_TK_DOTDOT); }
      "..=" { return finish(s, tok, tk, VPC_TK_DOTDOTEQ); }
      "(" { return finish(s, tok, tk, VPC_TK_LPAREN); }
      ")" { return finish(s, tok, tk, VPC_TK_RPAREN); }
      "[" { return finish(s, tok, tk, VPC_TK_LBRACKET); }
      "]" { return finish(s, tok, tk, VPC_TK_RBRACKET); }
      "{" { return finish(s, tok, tk, VPC_TK_LBRACE); }
      "}" { return finish(s, tok, tk, VPC_TK_RBRACE); }
      "," { return finish(s, tok, tk, VPC_TK_COMMA); }
      ":" { return finish(s, tok, tk, VPC_TK_COLON); }
      ";" { return finish(s, tok, tk, VPC_TK_SEMI); }

      "&&" { return c_operator(s, tok, tk, VPC_TK_AND); }
      "||" { return c_operator(s, tok, tk, VPC_TK_OR); }
      "!" { return c_operator(s, tok, tk, VPC_TK_NOT); }
    */
  }
}
