// Parser glue: runs the lexer into the lemon parser for each file, loads
// imports (LANGUAGE.md 2.1) and hands the whole program to sema.c. The
// helpers below are the actions' vocabulary in grammar/parser.y.
// SPDX-License-Identifier: MIT
#ifndef VPC_PARSING_H
#define VPC_PARSING_H

#include "ast.h"
#include "lex.h"

typedef struct vpc_parser {
  vpc_program *prog;
  vpc_list *decls;   // where this file's declarations go
  vpc_pos last_pos;  // position of the last token fed
  int failed;        // a syntax error or overflow happened
  int reported;      // syntax errors reported since the last NEWLINE
} vpc_parser;

// Parses path and its imports. Errors, including an unreadable file, are
// reported and counted by diag.c. deps receives every file read
// (char *), for -MD.
vpc_program *vpc_parse_program(const char *path, vpc_list *deps);

// Parses source text held in memory as file `path` (tests, fuzzing).
vpc_program *vpc_parse_text(const char *path, const char *text, size_t len);

// Actions' helpers.
const char *vpc_tok_name(const vpc_token *t);
vpc_node *vpc_list_node(vpc_node *first);
vpc_node *vpc_name_node(const vpc_token *t);
vpc_node *vpc_binary(vpc_node_kind kind, const vpc_token *op, vpc_node *a,
                     vpc_node *b);
vpc_node *vpc_unary(const vpc_token *op, vpc_node *a);
vpc_node *vpc_literal(vpc_parser *ps, vpc_node_kind kind, const vpc_token *t);
vpc_node *vpc_arg(const vpc_token *name, vpc_node *value);
void vpc_list_insert_first(vpc_list *l, void *item);
void vpc_parse_add_decl(vpc_parser *ps, vpc_node *decl);
void vpc_parse_expect_word(vpc_parser *ps, const vpc_token *t,
                           const char *word);
void vpc_parse_lambda_param(vpc_parser *ps, vpc_node *lambda, vpc_node *p);
void vpc_parse_syntax_error(vpc_parser *ps, const vpc_token *t, int kind);

#endif
