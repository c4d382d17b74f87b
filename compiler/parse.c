// Parser glue (see parsing.h): feeds tokens to the lemon parser, builds
// nodes for the grammar's actions, and loads imported files once each, in
// import order, before the importing file's own declarations.
// SPDX-License-Identifier: MIT
#include "parsing.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

void *vpcParseAlloc(void *(*alloc)(size_t));
void vpcParse(void *parser, int kind, vpc_token tok, vpc_parser *ps);
void vpcParseFree(void *parser, void (*dealloc)(void *));

#define MAX_IMPORT_DEPTH 10

vpc_node *vpc_node_new(vpc_node_kind kind, vpc_pos pos) {
  vpc_node *n = vpc_alloc(sizeof *n);
  n->kind = kind;
  n->pos = pos;
  return n;
}

const char *vpc_tok_name(const vpc_token *t) {
  return vpc_strndup(t->text, (size_t)t->len);
}

vpc_node *vpc_list_node(vpc_node *first) {
  vpc_node *n = vpc_node_new(VPC_NODE_ARG, first ? first->pos : (vpc_pos){0});
  if (first)
    vpc_list_push(&n->list, first);
  return n;
}

vpc_node *vpc_name_node(const vpc_token *t) {
  vpc_node *n = vpc_node_new(VPC_NODE_NAME, t->pos);
  n->name = vpc_tok_name(t);
  n->name_pos = t->pos;
  return n;
}

vpc_node *vpc_binary(vpc_node_kind kind, const vpc_token *op, vpc_node *a,
                     vpc_node *b) {
  vpc_node *n = vpc_node_new(kind, op->pos);
  n->op = op->kind;
  n->a = a;
  n->b = b;
  return n;
}

vpc_node *vpc_unary(const vpc_token *op, vpc_node *a) {
  vpc_node *n = vpc_node_new(VPC_NODE_UNARY, op->pos);
  n->op = op->kind;
  n->a = a;
  return n;
}

vpc_node *vpc_literal(vpc_parser *ps, vpc_node_kind kind, const vpc_token *t) {
  (void)ps;
  vpc_node *n = vpc_node_new(kind, t->pos);
  n->ival = t->ival;
  n->fval = t->fval;
  n->str = t->str;
  n->slen = t->slen;
  if (kind == VPC_NODE_STR && !n->str)
    n->str = "";
  return n;
}

vpc_node *vpc_arg(const vpc_token *name, vpc_node *value) {
  vpc_node *n = vpc_node_new(VPC_NODE_ARG, name ? name->pos : value->pos);
  if (name) {
    n->name = vpc_tok_name(name);
    n->name_pos = name->pos;
  }
  n->a = value;
  return n;
}

void vpc_list_insert_first(vpc_list *l, void *item) {
  vpc_list_push(l, item);
  memmove(l->items + 1, l->items, sizeof(void *) * (size_t)(l->n - 1));
  l->items[0] = item;
}

void vpc_parse_add_decl(vpc_parser *ps, vpc_node *decl) {
  if (decl)
    vpc_list_push(ps->decls, decl);
}

void vpc_parse_expect_word(vpc_parser *ps, const vpc_token *t,
                           const char *word) {
  if ((size_t)t->len != strlen(word) || memcmp(t->text, word, strlen(word))) {
    vpc_error(t->pos, "expected '%s', got '%.*s'", word, t->len, t->text);
    ps->failed = 1;
  }
}

// Where an expression starts in the source: its leftmost operand's token.
static vpc_pos start_of(const vpc_node *e) {
  while ((e->kind == VPC_NODE_MEMBER || e->kind == VPC_NODE_OPT_MEMBER ||
          e->kind == VPC_NODE_INDEX || e->kind == VPC_NODE_SLICE ||
          e->kind == VPC_NODE_PROPAGATE || e->kind == VPC_NODE_BINARY ||
          (e->kind == VPC_NODE_CALL && e->a)) &&
         e->a)
    e = e->a;
  return e->pos;
}

void vpc_parse_lambda_param(vpc_parser *ps, vpc_node *lambda, vpc_node *p) {
  if (p->kind != VPC_NODE_NAME) {
    vpc_error(start_of(p), "a lambda parameter must be a plain name");
    ps->failed = 1;
    return;
  }
  vpc_list_push(&lambda->list, p);
}

void vpc_parse_syntax_error(vpc_parser *ps, const vpc_token *t, int kind) {
  ps->failed = 1;
  if (ps->reported)
    return;
  ps->reported = 1;
  if (kind == 0)
    vpc_error(ps->last_pos, "unexpected end of input");
  else if (kind == VPC_TK_IDENT || kind == VPC_TK_INT ||
           kind == VPC_TK_FLOAT)
    vpc_error(t->pos, "unexpected %s '%.*s'", vpc_token_name(kind), t->len,
              t->text);
  else
    vpc_error(t->pos, "unexpected %s", vpc_token_name(kind));
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  vpc_sbuf b = { 0 };
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    vpc_sbuf_add(&b, chunk, n);
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    vpc_sbuf_free(&b);
    return NULL;
  }
  *len = b.n;
  char *text = vpc_strndup(b.p ? b.p : "", b.n);
  vpc_sbuf_free(&b);
  return text;
}

// A named pattern (pattern P = SEQ(A, B+, ...) within 10m, 5.8) is a
// later-phase construct whose syntax is not VPL's expression syntax: its
// tokens are passed over up to the end of the declaration, and sema
// reports it. Returns the kind of the last token read.
static int skip_pattern(vpc_lexer *lx, vpc_token *tok, vpc_list *decls) {
  vpc_node *d = vpc_node_new(VPC_NODE_PATTERN, tok->pos);
  d->name = "pattern";
  vpc_list_push(decls, d);
  int depth = 0, kind;
  do {
    kind = vpc_lex_next(lx, tok);
    depth += kind == VPC_TK_INDENT ? 1 : kind == VPC_TK_DEDENT ? -1 : 0;
  } while (kind != 0 && !(depth <= 0 && kind == VPC_TK_NEWLINE) &&
           !(depth < 0 && kind == VPC_TK_DEDENT));
  return kind;
}

// Runs one file through the lexer and parser into *decls.
static void parse_into(const char *path, const char *text, size_t len,
                       vpc_program *prog, vpc_list *decls) {
  int file = vpc_diag_add_source(path, text, len);
  vpc_lexer *lx = vpc_lex_open(file, text, len);
  vpc_parser ps = { .prog = prog, .decls = decls };
  void *parser = vpcParseAlloc(xmalloc);
  vpc_token tok;
  int kind;
  do {
    kind = vpc_lex_next(lx, &tok);
    ps.last_pos = tok.pos;
    if (kind == VPC_TK_KW_PATTERN) {
      kind = skip_pattern(lx, &tok, decls);
      continue;
    }
    vpcParse(parser, kind, tok, &ps);
    if (kind == VPC_TK_NEWLINE)
      ps.reported = 0;
  } while (kind != 0 && !vpc_diag_saturated());
  vpcParseFree(parser, free);
  vpc_lex_close(lx);
}

typedef struct loader {
  vpc_program *prog;
  vpc_list loaded;  // canonical paths
  vpc_list *deps;
} loader;

static bool already_loaded(loader *ld, const char *canon) {
  for (int i = 0; i < ld->loaded.n; i++)
    if (!strcmp(ld->loaded.items[i], canon))
      return true;
  return false;
}

static char *resolve_import(const char *importer, const char *rel) {
  if (rel[0] == '/')
    return vpc_strdup(rel);
  const char *slash = strrchr(importer, '/');
  if (!slash)
    return vpc_strdup(rel);
  return vpc_format("%.*s/%s", (int)(slash - importer), importer, rel);
}

static void load_file(loader *ld, const char *path, vpc_pos from, int depth);

// Loads the imports among decls, then appends the other declarations.
static void add_file_decls(loader *ld, const char *path, vpc_list *decls,
                           int depth) {
  for (int i = 0; i < decls->n; i++) {
    vpc_node *d = decls->items[i];
    if (d->kind != VPC_NODE_IMPORT)
      continue;
    if (d->name)
      vpc_warning(d->c->pos, "'as %s' is ignored; VPL has no namespaces",
                  d->name);
    if (depth >= MAX_IMPORT_DEPTH) {
      vpc_error(d->name_pos, "imports nested deeper than %d levels",
                MAX_IMPORT_DEPTH);
      continue;
    }
    load_file(ld, resolve_import(path, d->str), d->name_pos, depth + 1);
  }
  for (int i = 0; i < decls->n; i++) {
    vpc_node *d = decls->items[i];
    if (d->kind != VPC_NODE_IMPORT)
      vpc_list_push(&ld->prog->decls, d);
  }
}

static void load_file(loader *ld, const char *path, vpc_pos from, int depth) {
  char canon[PATH_MAX];
  if (!realpath(path, canon)) {
    vpc_error(from, "cannot open '%s': %s", path, strerror(errno));
    return;
  }
  if (already_loaded(ld, canon))
    return;
  vpc_list_push(&ld->loaded, vpc_strdup(canon));
  size_t len;
  char *text = read_file(path, &len);
  if (!text) {
    vpc_error(from, "cannot read '%s': %s", path, strerror(errno));
    return;
  }
  if (ld->deps)
    vpc_list_push(ld->deps, vpc_strdup(path));
  vpc_list decls = { 0 };
  parse_into(path, text, len, ld->prog, &decls);
  add_file_decls(ld, path, &decls, depth);
}

vpc_program *vpc_parse_program(const char *path, vpc_list *deps) {
  vpc_program *prog = vpc_alloc(sizeof *prog);
  loader ld = { .prog = prog, .deps = deps };
  vpc_pos nowhere = { .file = -1 };
  load_file(&ld, path, nowhere, 0);
  return prog;
}

vpc_program *vpc_parse_text(const char *path, const char *text, size_t len) {
  vpc_program *prog = vpc_alloc(sizeof *prog);
  vpc_list decls = { 0 };
  parse_into(path, text, len, prog, &decls);
  for (int i = 0; i < decls.n; i++)
    vpc_list_push(&prog->decls, decls.items[i]);
  return prog;
}
