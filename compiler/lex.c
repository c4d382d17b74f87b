// The layout filter of LANGUAGE.md 1.6 over the raw scanner of
// grammar/lexer.re: it adds NEWLINE, INDENT, DEDENT (and the COMMA of L7),
// checks brackets, and resolves contextual and any-word positions (1.3).
// parse.c pulls the result one token at a time through vpc_lex_next.
// SPDX-License-Identifier: MIT
#include "lex.h"

#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

// A BLOCK(col) frame, or a BRACKET frame holding its opening token.
typedef struct frame {
  int block;
  int col;  // from 0
  vpc_token open;
} frame;

struct vpc_lexer {
  vpc_scanner sc;
  frame *frames;
  int depth, cap;
  vpc_token *queue;  // tokens ready to hand out, from qhead to qlen
  int qhead, qlen, qcap;
  vpc_token prev;  // the last ordinary token taken from the scanner
  int have_prev;
  int last;      // kind of the last token queued; 0 before the first
  int line_col;  // column of the first token of the current physical line
  int done;      // the end of input was handled
  vpc_token end;
};

vpc_lexer *vpc_lex_open(int file, const char *text, size_t len) {
  vpc_lexer *lx = xcalloc(1, sizeof *lx);
  char *copy = vpc_alloc(len + 1);  // the scanner needs a NUL at the end
  memcpy(copy, text, len);
  vpc_lex_scan_init(&lx->sc, file, copy, len);
  return lx;
}

void vpc_lex_close(vpc_lexer *lx) {
  if (!lx)
    return;
  free(lx->frames);
  free(lx->queue);
  free(lx);
}

static void emit(vpc_lexer *lx, const vpc_token *tok) {
  if (lx->qlen == lx->qcap) {
    lx->qcap = lx->qcap ? lx->qcap * 2 : 16;
    lx->queue = xrealloc(lx->queue, (size_t)lx->qcap * sizeof *lx->queue);
  }
  lx->queue[lx->qlen++] = *tok;
  lx->last = tok->kind;
}

// Queues a layout token (or the COMMA of L7) placed at pos.
static void emit_synth(vpc_lexer *lx, int kind, vpc_pos pos) {
  vpc_token tok = { .kind = kind, .pos = pos, .text = "", .len = 0 };
  emit(lx, &tok);
}

static void push_frame(vpc_lexer *lx, int block, int col,
                       const vpc_token *open) {
  if (lx->depth == lx->cap) {
    lx->cap = lx->cap ? lx->cap * 2 : 16;
    lx->frames = xrealloc(lx->frames, (size_t)lx->cap * sizeof *lx->frames);
  }
  frame *f = &lx->frames[lx->depth++];
  f->block = block;
  f->col = col;
  if (open)
    f->open = *open;
}

static frame *top(vpc_lexer *lx) {
  return &lx->frames[lx->depth - 1];
}

static int is_layout(int kind) {
  return kind == VPC_TK_NEWLINE || kind == VPC_TK_INDENT ||
         kind == VPC_TK_DEDENT;
}

// Ends the current logical line: one NEWLINE unless nothing was emitted or
// a layout token came last. Its position is just after the line's last
// token, where "expected ... at end of line" messages point.
static void end_line(vpc_lexer *lx) {
  if (lx->last == 0 || is_layout(lx->last))
    return;
  vpc_pos pos = lx->prev.pos;
  pos.col += pos.len;
  pos.len = 1;
  emit_synth(lx, VPC_TK_NEWLINE, pos);
}

// Closes every frame above index floor: NEWLINE first if a block is among
// them, then one DEDENT per block (brackets above floor are dropped; the
// caller has reported them).
static void close_above(vpc_lexer *lx, int floor, vpc_pos at) {
  for (int i = floor + 1; i < lx->depth; i++) {
    if (lx->frames[i].block) {
      end_line(lx);
      break;
    }
  }
  while (lx->depth > floor + 1) {
    if (top(lx)->block)
      emit_synth(lx, VPC_TK_DEDENT, at);
    lx->depth--;
  }
}

static int is_closer(int kind) {
  return kind == VPC_TK_RPAREN || kind == VPC_TK_RBRACKET ||
         kind == VPC_TK_RBRACE;
}

// L4: the token t starts a new logical line at column c.
static void new_line(vpc_lexer *lx, const vpc_token *t, int c) {
  int popped = 0;
  end_line(lx);
  while (lx->depth > 1 && top(lx)->block && top(lx)->col > c) {
    emit_synth(lx, VPC_TK_DEDENT, t->pos);
    lx->depth--;
    popped++;
  }

  // L7: the DEDENT that ends a block value inside brackets separates it
  // from the next item.
  if (!top(lx)->block) {
    if (popped && t->kind != VPC_TK_COMMA && !is_closer(t->kind))
      emit_synth(lx, VPC_TK_COMMA, t->pos);
    return;
  }
  if (!popped && c > top(lx)->col)
    vpc_error(t->pos, "unexpected indent");
  else if (c != top(lx)->col && c < lx->frames[0].col)
    vpc_error(t->pos, "line is left of the program's first line");
  else if (c != top(lx)->col)
    vpc_error(t->pos, "inconsistent dedent");
}

// L3 (b): a line ending in one of these continues on the next line.
static int continues_line(int kind) {
  switch (kind) {
  case VPC_TK_PLUS:
  case VPC_TK_MINUS:
  case VPC_TK_STAR:
  case VPC_TK_SLASH:
  case VPC_TK_PERCENT:
  case VPC_TK_POW:
  case VPC_TK_EQ:
  case VPC_TK_NE:
  case VPC_TK_LT:
  case VPC_TK_LE:
  case VPC_TK_GT:
  case VPC_TK_GE:
  case VPC_TK_AMP:
  case VPC_TK_PIPE:
  case VPC_TK_CARET:
  case VPC_TK_SHL:
  case VPC_TK_SHR:
  case VPC_TK_AND:
  case VPC_TK_OR:
  case VPC_TK_IN:
  case VPC_TK_IS:
  case VPC_TK_COALESCE:
  case VPC_TK_DOTDOT:
  case VPC_TK_DOTDOTEQ:
  case VPC_TK_ASSIGN:
  case VPC_TK_WALRUS:
  case VPC_TK_PLUS_ASSIGN:
  case VPC_TK_MINUS_ASSIGN:
  case VPC_TK_STAR_ASSIGN:
  case VPC_TK_SLASH_ASSIGN:
  case VPC_TK_PERCENT_ASSIGN:
    return 1;
  default:
    return 0;
  }
}

static int opens_block(int kind) {
  return kind == VPC_TK_COLON || kind == VPC_TK_FAT_ARROW;
}

// The first token t of a physical line at column c: L2, L3 and L4. Returns
// whether t starts a logical line.
static int line_start(vpc_lexer *lx, const vpc_token *t, int c) {
  int k = lx->line_col;
  lx->line_col = c;
  if (opens_block(lx->prev.kind)) {
    if (c > k) {
      push_frame(lx, 1, c, NULL);
      emit_synth(lx, VPC_TK_INDENT, t->pos);
      return 1;
    }
    vpc_error(lx->prev.pos, "expected an indented block");
  }
  if (!top(lx)->block)
    return 0;
  if (t->kind == VPC_TK_DOT || t->kind == VPC_TK_QDOT ||
      t->kind == VPC_TK_THIN_ARROW || continues_line(lx->prev.kind))
    return 0;
  new_line(lx, t, c);
  return 1;
}

static const char *opener_text(int kind) {
  return kind == VPC_TK_RPAREN ? "(" : kind == VPC_TK_RBRACKET ? "[" : "{";
}

// L5: a closing bracket closes the blocks above its match. Returns 0 when
// it matches nothing (reported; the token is dropped).
static int close_bracket(vpc_lexer *lx, const vpc_token *t) {
  const char *want = opener_text(t->kind);
  int i = lx->depth - 1;
  while (i > 0 && (lx->frames[i].block || lx->frames[i].open.text[0] != *want))
    i--;
  if (i == 0) {
    vpc_error(t->pos, "unmatched '%.*s'", t->len, t->text);
    return 0;
  }
  for (int j = i + 1; j < lx->depth; j++) {
    if (!lx->frames[j].block)
      vpc_error(lx->frames[j].open.pos, "unclosed '%.*s'",
                lx->frames[j].open.len, lx->frames[j].open.text);
  }
  close_above(lx, i, t->pos);
  lx->depth--;
  return 1;
}

static const struct {
  const char *word;
  int kind;
} contextual[] = {
  { "event", VPC_TK_KW_EVENT },     { "stream", VPC_TK_KW_STREAM },
  { "type", VPC_TK_KW_TYPE },       { "config", VPC_TK_KW_CONFIG },
  { "context", VPC_TK_KW_CONTEXT }, { "connector", VPC_TK_KW_CONNECTOR },
  { "pattern", VPC_TK_KW_PATTERN }, { "supervision", VPC_TK_KW_SUPERVISION },
};

static int contextual_kind(const vpc_token *t) {
  for (size_t i = 0; i < sizeof contextual / sizeof *contextual; i++) {
    const char *w = contextual[i].word;
    if ((int)strlen(w) == t->len && !memcmp(w, t->text, (size_t)t->len))
      return contextual[i].kind;
  }
  return VPC_TK_IDENT;
}

// The reserved words of 1.3 are the keyword tokens AND..WHILE, which
// parser.y declares in one run.
static int is_reserved(int kind) {
  return kind >= VPC_TK_AND && kind <= VPC_TK_WHILE;
}

// Where a `key:` can start: a line, an argument, a map entry.
static int key_position(int last) {
  return last == 0 || is_layout(last) || last == VPC_TK_COMMA ||
         last == VPC_TK_LPAREN || last == VPC_TK_LBRACE || last == VPC_TK_SEMI;
}

// True if t is followed, after spaces, by a ':' that is not ':='.
static int colon_follows(const vpc_token *t) {
  const char *p = t->text + t->len;
  while (*p == ' ' || *p == '\t')
    p++;
  return p[0] == ':' && p[1] != '=';
}

// 1.3: contextual words at the start of a top-level line become their
// keywords; reserved words in any-word positions become identifiers.
static void classify(vpc_lexer *lx, vpc_token *t, int logical_start) {
  if (t->kind == VPC_TK_IDENT) {
    if (logical_start && lx->depth == 1)
      t->kind = contextual_kind(t);
    return;
  }
  if (!is_reserved(t->kind))
    return;
  if (lx->last == VPC_TK_DOT || lx->last == VPC_TK_QDOT ||
      (t->kind != VPC_TK_ELSE && key_position(lx->last) && colon_follows(t))) {
    t->kind = VPC_TK_IDENT;
    t->str = vpc_strndup(t->text, (size_t)t->len);
  }
}

// Runs one ordinary token through the layout rules and queues the result.
static void take(vpc_lexer *lx, vpc_token *t) {
  int c = t->pos.col - 1, logical_start = 0;
  if (lx->depth == 0) {
    push_frame(lx, 1, c, NULL);  // the base frame, BLOCK(b0)
    lx->line_col = c;
    logical_start = 1;
  } else if (t->pos.line > lx->prev.pos.line) {
    logical_start = line_start(lx, t, c);
  }
  classify(lx, t, logical_start);

  if (t->kind == VPC_TK_LPAREN || t->kind == VPC_TK_LBRACKET ||
      t->kind == VPC_TK_LBRACE)
    push_frame(lx, 0, c, t);
  else if (is_closer(t->kind) && !close_bracket(lx, t))
    return;
  emit(lx, t);
  lx->prev = *t;
  lx->have_prev = 1;
}

// L6: the end of input closes every block; unclosed brackets are errors.
static void finish_input(vpc_lexer *lx, const vpc_token *end) {
  if (lx->have_prev && opens_block(lx->prev.kind))
    vpc_error(lx->prev.pos, "expected an indented block");
  for (int i = 1; i < lx->depth; i++) {
    frame *f = &lx->frames[i];
    if (!f->block)
      vpc_error(f->open.pos, "unclosed '%.*s'", f->open.len, f->open.text);
  }
  end_line(lx);
  if (lx->depth > 0)
    close_above(lx, 0, end->pos);
  lx->end = *end;
  lx->done = 1;
}

int vpc_lex_next(vpc_lexer *lx, vpc_token *tok) {
  while (lx->qhead == lx->qlen) {
    lx->qhead = lx->qlen = 0;
    if (lx->done) {
      *tok = lx->end;
      return 0;
    }
    vpc_token t;
    if (vpc_lex_scan(&lx->sc, &t))
      take(lx, &t);
    else
      finish_input(lx, &t);
  }
  *tok = lx->queue[lx->qhead++];
  return tok->kind;
}

static const char *const names[] = {
  [0] = "end of input",
  [VPC_TK_NEWLINE] = "end of line",
  [VPC_TK_INDENT] = "indent",
  [VPC_TK_DEDENT] = "dedent",
  [VPC_TK_IDENT] = "identifier",
  [VPC_TK_INT] = "integer",
  [VPC_TK_FLOAT] = "float",
  [VPC_TK_STRING] = "string",
  [VPC_TK_DURATION] = "duration",
  [VPC_TK_TIMESTAMP] = "timestamp",
  [VPC_TK_KW_EVENT] = "'event'",
  [VPC_TK_KW_STREAM] = "'stream'",
  [VPC_TK_KW_TYPE] = "'type'",
  [VPC_TK_KW_CONFIG] = "'config'",
  [VPC_TK_KW_CONTEXT] = "'context'",
  [VPC_TK_KW_CONNECTOR] = "'connector'",
  [VPC_TK_KW_PATTERN] = "'pattern'",
  [VPC_TK_KW_SUPERVISION] = "'supervision'",
  [VPC_TK_AND] = "'and'",
  [VPC_TK_AS] = "'as'",
  [VPC_TK_BREAK] = "'break'",
  [VPC_TK_CONST] = "'const'",
  [VPC_TK_CONTINUE] = "'continue'",
  [VPC_TK_ELIF] = "'elif'",
  [VPC_TK_ELSE] = "'else'",
  [VPC_TK_EMIT] = "'emit'",
  [VPC_TK_FALSE] = "'false'",
  [VPC_TK_FN] = "'fn'",
  [VPC_TK_FOR] = "'for'",
  [VPC_TK_IF] = "'if'",
  [VPC_TK_IMPORT] = "'import'",
  [VPC_TK_IN] = "'in'",
  [VPC_TK_IS] = "'is'",
  [VPC_TK_LET] = "'let'",
  [VPC_TK_NOT] = "'not'",
  [VPC_TK_NULL] = "'null'",
  [VPC_TK_OR] = "'or'",
  [VPC_TK_RETURN] = "'return'",
  [VPC_TK_THEN] = "'then'",
  [VPC_TK_TRUE] = "'true'",
  [VPC_TK_VAR] = "'var'",
  [VPC_TK_WHILE] = "'while'",
  [VPC_TK_PLUS] = "'+'",
  [VPC_TK_MINUS] = "'-'",
  [VPC_TK_STAR] = "'*'",
  [VPC_TK_SLASH] = "'/'",
  [VPC_TK_PERCENT] = "'%'",
  [VPC_TK_POW] = "'**'",
  [VPC_TK_EQ] = "'=='",
  [VPC_TK_NE] = "'!='",
  [VPC_TK_LT] = "'<'",
  [VPC_TK_LE] = "'<='",
  [VPC_TK_GT] = "'>'",
  [VPC_TK_GE] = "'>='",
  [VPC_TK_AMP] = "'&'",
  [VPC_TK_PIPE] = "'|'",
  [VPC_TK_CARET] = "'^'",
  [VPC_TK_TILDE] = "'~'",
  [VPC_TK_SHL] = "'<<'",
  [VPC_TK_SHR] = "'>>'",
  [VPC_TK_ASSIGN] = "'='",
  [VPC_TK_WALRUS] = "':='",
  [VPC_TK_PLUS_ASSIGN] = "'+='",
  [VPC_TK_MINUS_ASSIGN] = "'-='",
  [VPC_TK_STAR_ASSIGN] = "'*='",
  [VPC_TK_SLASH_ASSIGN] = "'/='",
  [VPC_TK_PERCENT_ASSIGN] = "'%='",
  [VPC_TK_DOT] = "'.'",
  [VPC_TK_QDOT] = "'?.'",
  [VPC_TK_COALESCE] = "'?\?'",
  [VPC_TK_QUESTION] = "'?'",
  [VPC_TK_FAT_ARROW] = "'=>'",
  [VPC_TK_THIN_ARROW] = "'->'",
  [VPC_TK_DOTDOT] = "'..'",
  [VPC_TK_DOTDOTEQ] = "'..='",
  [VPC_TK_LPAREN] = "'('",
  [VPC_TK_RPAREN] = "')'",
  [VPC_TK_LBRACKET] = "'['",
  [VPC_TK_RBRACKET] = "']'",
  [VPC_TK_LBRACE] = "'{'",
  [VPC_TK_RBRACE] = "'}'",
  [VPC_TK_COMMA] = "','",
  [VPC_TK_COLON] = "':'",
  [VPC_TK_SEMI] = "';'",
};

const char *vpc_token_name(int kind) {
  if (kind < 0 || kind >= (int)(sizeof names / sizeof *names) || !names[kind])
    return "token";
  return names[kind];
}
