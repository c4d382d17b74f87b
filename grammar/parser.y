// VPL grammar for lemon. The lexer (lexer.re plus the layout filter in
// compiler/lex.c) feeds tokens; the actions build the AST of compiler/ast.h.
// SPDX-License-Identifier: MIT

%name vpcParse
%token_prefix VPC_TK_
%token_type { vpc_token }
%extra_argument { vpc_parser *ps }

// Token order fixes the numbers in parse.h, which the lexer uses.
%token NEWLINE INDENT DEDENT.
%token IDENT INT FLOAT STRING DURATION TIMESTAMP.
%token KW_EVENT KW_STREAM KW_TYPE KW_CONFIG KW_CONTEXT KW_CONNECTOR
       KW_PATTERN KW_SUPERVISION.
%token AND AS BREAK CONST CONTINUE ELIF ELSE EMIT FALSE FN FOR IF IMPORT
       IN IS LET NOT NULL OR RETURN THEN TRUE VAR WHILE.
%token PLUS MINUS STAR SLASH PERCENT POW EQ NE LT LE GT GE AMP PIPE CARET
       TILDE SHL SHR ASSIGN WALRUS PLUS_ASSIGN MINUS_ASSIGN STAR_ASSIGN
       SLASH_ASSIGN PERCENT_ASSIGN DOT QDOT COALESCE QUESTION FAT_ARROW
       THIN_ARROW DOTDOT DOTDOTEQ LPAREN RPAREN LBRACKET RBRACKET LBRACE
       RBRACE COMMA COLON SEMI.

%include {
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "lex.h"
#include "parse.h"
#include "parsing.h"
}

%stack_size 10000
%stack_overflow {
  vpc_error(ps->last_pos, "program is nested too deeply");
  ps->failed = 1;
}

%syntax_error {
  vpc_parse_syntax_error(ps, &TOKEN, yymajor);
}

%start_symbol program

%type expr { vpc_node * }
%type range_expr { vpc_node * }
%type coalesce { vpc_node * }
%type or_expr { vpc_node * }
%type and_expr { vpc_node * }
%type not_expr { vpc_node * }
%type cmp { vpc_node * }
%type bitor { vpc_node * }
%type bitxor { vpc_node * }
%type bitand { vpc_node * }
%type shift { vpc_node * }
%type add { vpc_node * }
%type mul { vpc_node * }
%type pow { vpc_node * }
%type unary { vpc_node * }
%type postfix { vpc_node * }
%type primary { vpc_node * }
%type lambda { vpc_node * }
%type lbody { vpc_node * }
%type block { vpc_node * }
%type stmts { vpc_node * }
%type stmt { vpc_node * }
%type simple { vpc_node * }
%type compound { vpc_node * }
%type elifs { vpc_node * }
%type type { vpc_node * }
%type types { vpc_node * }
%type args { vpc_node * }
%type arglist { vpc_node * }
%type arg { vpc_node * }
%type optblock { vpc_node * }
%type optitems { vpc_node * }
%type optitem { vpc_node * }
%type exprs { vpc_node * }
%type mapitems { vpc_node * }
%type mapitem { vpc_node * }
%type fields { vpc_node * }
%type field { vpc_node * }
%type params { vpc_node * }
%type param { vpc_node * }
%type opt_type { vpc_node * }
%type opt_ret { vpc_node * }
%type ops { vpc_node * }
%type seqsteps { vpc_node * }
%type seqstep { vpc_node * }
%type op { vpc_node * }
%type decl { vpc_node * }
%type binding { int }
%type cmpop { int }
%type assignop { int }

// program: declarations separated by the layout's NEWLINEs.
program ::= decls.
decls ::= .
decls ::= decls decl(D).           { vpc_parse_add_decl(ps, D); }
decls ::= decls NEWLINE.
decls ::= decls error NEWLINE.

// event Name [extends Parent]: fields
decl(D) ::= KW_EVENT IDENT(N) COLON INDENT fields(F) DEDENT. {
  D = F; D->kind = VPC_NODE_EVENT; D->pos = N.pos;
  D->name = vpc_tok_name(&N); D->name_pos = N.pos;
}
decl(D) ::= KW_EVENT IDENT(N) IDENT(X) IDENT(P) COLON INDENT fields(F) DEDENT. {
  D = F; D->kind = VPC_NODE_EVENT; D->pos = N.pos;
  D->name = vpc_tok_name(&N); D->name_pos = N.pos;
  vpc_parse_expect_word(ps, &X, "extends");
  D->str = vpc_tok_name(&P);
  D->c = vpc_name_node(&P);
}
fields(L) ::= field(F).            { L = vpc_list_node(F); }
fields(L) ::= fields(L0) field(F). { L = L0; vpc_list_push(&L->list, F); }
fields(L) ::= fields(L0) NEWLINE.  { L = L0; }
field(F) ::= IDENT(N) COLON type(T) NEWLINE. {
  F = vpc_node_new(VPC_NODE_FIELD, N.pos); F->name = vpc_tok_name(&N);
  F->name_pos = N.pos; F->b = T;
}

// type Name = Type
decl(D) ::= KW_TYPE IDENT(N) ASSIGN type(T) NEWLINE. {
  D = vpc_node_new(VPC_NODE_TYPE_ALIAS, N.pos); D->name = vpc_tok_name(&N);
  D->name_pos = N.pos; D->b = T;
}

// const|let|var Name [: Type] = expr
decl(D) ::= binding(K) IDENT(N) opt_type(T) ASSIGN expr(E) NEWLINE. {
  D = vpc_node_new(VPC_NODE_GLOBAL, N.pos); D->op = K;
  D->name = vpc_tok_name(&N); D->name_pos = N.pos; D->b = T; D->a = E;
}
binding(K) ::= LET.   { K = VPC_TK_LET; }
binding(K) ::= VAR.   { K = VPC_TK_VAR; }
binding(K) ::= CONST. { K = VPC_TK_CONST; }
opt_type(T) ::= .               { T = NULL; }
opt_type(T) ::= COLON type(T0). { T = T0; }

// fn name(p: T, ...) [-> T]: block
decl(D) ::= FN IDENT(N) LPAREN params(P) RPAREN opt_ret(R) COLON block(B). {
  D = P; D->kind = VPC_NODE_FN; D->pos = N.pos; D->name = vpc_tok_name(&N);
  D->name_pos = N.pos; D->b = R; D->a = B;
}
params(L) ::= .                         { L = vpc_list_node(NULL); }
params(L) ::= param(P).                 { L = vpc_list_node(P); }
params(L) ::= params(L0) COMMA param(P). { L = L0; vpc_list_push(&L->list, P); }
param(P) ::= IDENT(N) COLON type(T). {
  P = vpc_node_new(VPC_NODE_PARAM, N.pos); P->name = vpc_tok_name(&N);
  P->name_pos = N.pos; P->b = T;
}
opt_ret(R) ::= .                    { R = NULL; }
opt_ret(R) ::= THIN_ARROW type(T).  { R = T; }

// stream Name [: Type] = Source .op(...)*
decl(D) ::= KW_STREAM IDENT(N) opt_type(T) ASSIGN IDENT(S) ops(O) NEWLINE. {
  D = O; D->kind = VPC_NODE_STREAM; D->pos = N.pos;
  D->name = vpc_tok_name(&N); D->name_pos = N.pos; D->b = T;
  D->a = vpc_name_node(&S);
}
// Later-phase sources, parsed for a precise message (5.2, 5.8):
// merge(...), join(...), timer(...), sequence(...), and sequence patterns
// such as A as a -> all B as bs -> C as c.
decl(D) ::= KW_STREAM IDENT(N) opt_type(T) ASSIGN IDENT(S) LPAREN args(A) RPAREN
            ops(O) NEWLINE. {
  D = O; D->kind = VPC_NODE_STREAM; D->pos = N.pos;
  D->name = vpc_tok_name(&N); D->name_pos = N.pos; D->b = T;
  D->a = A; A->kind = VPC_NODE_CALL; A->pos = S.pos; A->name = vpc_tok_name(&S);
  A->name_pos = S.pos;
}
decl(D) ::= KW_STREAM IDENT(N) opt_type(T) ASSIGN seqsteps(Q) ops(O) NEWLINE. {
  D = O; D->kind = VPC_NODE_STREAM; D->pos = N.pos;
  D->name = vpc_tok_name(&N); D->name_pos = N.pos; D->b = T; D->a = Q;
}
seqsteps(Q) ::= seqstep(P).                     { Q = P; }
seqsteps(Q) ::= seqsteps(Q0) THIN_ARROW seqstep. { Q = Q0; }
seqstep(P) ::= IDENT(E) AS IDENT. {
  P = vpc_node_new(VPC_NODE_PATTERN, E.pos); P->name = "sequence pattern";
}
seqstep(P) ::= IDENT(K) IDENT AS IDENT. {
  P = vpc_node_new(VPC_NODE_PATTERN, K.pos); P->name = "sequence pattern";
}
ops(L) ::= .               { L = vpc_list_node(NULL); }
ops(L) ::= ops(L0) op(P).  { L = L0; vpc_list_push(&L->list, P); }
op(P) ::= DOT IDENT(N) LPAREN args(A) RPAREN. {
  P = A; P->kind = VPC_NODE_OP; P->pos = N.pos; P->name = vpc_tok_name(&N);
  P->name_pos = N.pos;
}
op(P) ::= DOT IDENT(N) AS IDENT(T) LPAREN args(A) RPAREN. {
  P = A; P->kind = VPC_NODE_OP; P->pos = N.pos; P->name = vpc_tok_name(&N);
  P->name_pos = N.pos; P->str = vpc_tok_name(&T);
}

// supervision: block; config: block; config name { ... }
decl(D) ::= KW_SUPERVISION(K) COLON optblock(B). {
  D = B; D->kind = VPC_NODE_SUPERVISION; D->pos = K.pos;
}
decl(D) ::= KW_CONFIG(K) COLON optblock(B). {
  D = B; D->kind = VPC_NODE_CONFIG; D->pos = K.pos;
}
decl(D) ::= KW_CONFIG(K) IDENT(N) LBRACE mapitems(M) RBRACE NEWLINE. {
  D = M; D->kind = VPC_NODE_CONFIG; D->pos = K.pos; D->name = vpc_tok_name(&N);
}

// context name [(k: v, ...)]
decl(D) ::= KW_CONTEXT IDENT(N) NEWLINE. {
  D = vpc_node_new(VPC_NODE_CONTEXT, N.pos); D->name = vpc_tok_name(&N);
}
decl(D) ::= KW_CONTEXT IDENT(N) LPAREN args(A) RPAREN NEWLINE. {
  D = A; D->kind = VPC_NODE_CONTEXT; D->pos = N.pos; D->name = vpc_tok_name(&N);
}

// connector Name = kind(k: v, ...)
decl(D) ::= KW_CONNECTOR IDENT(N) ASSIGN IDENT(K) LPAREN args(A) RPAREN NEWLINE. {
  D = vpc_node_new(VPC_NODE_CONNECTOR, N.pos); D->name = vpc_tok_name(&N);
  D->name_pos = N.pos;
  A->kind = VPC_NODE_CALL; A->pos = K.pos; A->name = vpc_tok_name(&K);
  D->a = A;
}

// import "file.vpl" [as name]
decl(D) ::= IMPORT(I) STRING(S) NEWLINE. {
  D = vpc_node_new(VPC_NODE_IMPORT, I.pos); D->str = S.str; D->slen = S.slen;
  D->name_pos = S.pos;
}
decl(D) ::= IMPORT(I) STRING(S) AS(K) IDENT(N) NEWLINE. {
  D = vpc_node_new(VPC_NODE_IMPORT, I.pos); D->str = S.str; D->slen = S.slen;
  D->name_pos = S.pos; D->name = vpc_tok_name(&N);
  D->c = vpc_node_new(VPC_NODE_NAME, K.pos);
}


// Types: Name, Name<T, ...>, [T], {K: V}, each with an optional '?'.
type(T) ::= IDENT(N). {
  T = vpc_node_new(VPC_NODE_TYPE, N.pos); T->name = vpc_tok_name(&N);
}
type(T) ::= IDENT(N) LT types(A) GT. {
  T = A; T->kind = VPC_NODE_TYPE; T->pos = N.pos; T->name = vpc_tok_name(&N);
}
type(T) ::= NULL(N). {
  T = vpc_node_new(VPC_NODE_TYPE, N.pos); T->name = "null";
}
type(T) ::= LBRACKET(P) type(E) RBRACKET. {
  T = vpc_node_new(VPC_NODE_TYPE_ARRAY, P.pos); T->a = E;
}
type(T) ::= LBRACE(P) type(K) COLON type(V) RBRACE. {
  T = vpc_node_new(VPC_NODE_TYPE_MAP, P.pos); T->a = K; T->b = V;
}
type(T) ::= type(T0) QUESTION. { T = T0; T->flag = true; }
types(L) ::= type(T).                 { L = vpc_list_node(T); }
types(L) ::= types(L0) COMMA type(T). { L = L0; vpc_list_push(&L->list, T); }

// Blocks and statements.
block(B) ::= INDENT stmts(S) DEDENT. { B = S; }
stmts(L) ::= stmt(S).             { L = vpc_list_node(S); L->kind = VPC_NODE_BLOCK; }
stmts(L) ::= stmts(L0) stmt(S).   { L = L0; if (S) vpc_list_push(&L->list, S); }
stmts(L) ::= stmts(L0) NEWLINE.   { L = L0; }
stmts(L) ::= stmts(L0) error NEWLINE. { L = L0; }

stmt(S) ::= simple(S0) NEWLINE.  { S = S0; }
stmt(S) ::= simple(S0) SEMI.     { S = S0; }
stmt(S) ::= compound(S0).        { S = S0; }

simple(S) ::= binding(K) IDENT(N) opt_type(T) ASSIGN expr(E). {
  S = vpc_node_new(VPC_NODE_LET, N.pos); S->op = K; S->name = vpc_tok_name(&N);
  S->name_pos = N.pos; S->b = T; S->a = E;
}
simple(S) ::= IDENT(N) assignop(K) expr(E). {
  S = vpc_node_new(VPC_NODE_ASSIGN, N.pos); S->op = K;
  S->name = vpc_tok_name(&N); S->name_pos = N.pos; S->a = E;
}
assignop(K) ::= ASSIGN.         { K = VPC_TK_ASSIGN; }
assignop(K) ::= WALRUS.         { K = VPC_TK_WALRUS; }
assignop(K) ::= PLUS_ASSIGN.    { K = VPC_TK_PLUS_ASSIGN; }
assignop(K) ::= MINUS_ASSIGN.   { K = VPC_TK_MINUS_ASSIGN; }
assignop(K) ::= STAR_ASSIGN.    { K = VPC_TK_STAR_ASSIGN; }
assignop(K) ::= SLASH_ASSIGN.   { K = VPC_TK_SLASH_ASSIGN; }
assignop(K) ::= PERCENT_ASSIGN. { K = VPC_TK_PERCENT_ASSIGN; }
simple(S) ::= BREAK(K).    { S = vpc_node_new(VPC_NODE_BREAK, K.pos); }
simple(S) ::= CONTINUE(K). { S = vpc_node_new(VPC_NODE_CONTINUE, K.pos); }
simple(S) ::= RETURN(K).   { S = vpc_node_new(VPC_NODE_RETURN, K.pos); }
simple(S) ::= RETURN(K) expr(E). {
  S = vpc_node_new(VPC_NODE_RETURN, K.pos); S->a = E;
}
simple(S) ::= EMIT(E) IDENT(N) LPAREN args(A) RPAREN. {
  S = A; S->kind = VPC_NODE_EMIT; S->pos = E.pos; S->name = vpc_tok_name(&N);
  S->name_pos = N.pos;
}
simple(S) ::= expr(E). {
  S = vpc_node_new(VPC_NODE_EXPR_STMT, E->pos); S->a = E;
}

compound(S) ::= IF(K) expr(C) COLON block(B) elifs(L). {
  S = L; S->pos = K.pos;
  vpc_node *br = vpc_node_new(VPC_NODE_ELIF, K.pos); br->a = C; br->b = B;
  vpc_list_insert_first(&S->list, br);
}
compound(S) ::= IF(K) expr(C) COLON block(B) elifs(L) ELSE COLON block(E). {
  S = L; S->pos = K.pos; S->c = E;
  vpc_node *br = vpc_node_new(VPC_NODE_ELIF, K.pos); br->a = C; br->b = B;
  vpc_list_insert_first(&S->list, br);
}
elifs(L) ::= . { L = vpc_node_new(VPC_NODE_IF, ps->last_pos); }
elifs(L) ::= elifs(L0) ELIF(K) expr(C) COLON block(B). {
  L = L0;
  vpc_node *br = vpc_node_new(VPC_NODE_ELIF, K.pos); br->a = C; br->b = B;
  vpc_list_push(&L->list, br);
}
compound(S) ::= FOR(K) IDENT(N) IN expr(E) COLON block(B). {
  S = vpc_node_new(VPC_NODE_FOR, K.pos); S->name = vpc_tok_name(&N);
  S->name_pos = N.pos; S->a = E; S->b = B;
}
compound(S) ::= WHILE(K) expr(C) COLON block(B). {
  S = vpc_node_new(VPC_NODE_WHILE, K.pos); S->a = C; S->b = B;
}

// Expressions, lowest precedence first (LANGUAGE.md 4.3).
expr(E) ::= range_expr(E0). { E = E0; }
expr(E) ::= lambda(E0).     { E = E0; }
expr(E) ::= IF(K) expr(C) THEN expr(A) ELSE expr(B). {
  E = vpc_node_new(VPC_NODE_IF_EXPR, K.pos); E->a = C; E->b = A; E->c = B;
}

lambda(E) ::= IDENT(N) FAT_ARROW lbody(B). {
  E = vpc_node_new(VPC_NODE_LAMBDA, N.pos);
  vpc_list_push(&E->list, vpc_name_node(&N)); E->a = B;
}
lambda(E) ::= LPAREN(P) RPAREN FAT_ARROW lbody(B). {
  E = vpc_node_new(VPC_NODE_LAMBDA, P.pos); E->a = B;
}
lambda(E) ::= LPAREN(P) expr(X) RPAREN FAT_ARROW lbody(B). {
  E = vpc_node_new(VPC_NODE_LAMBDA, P.pos); E->a = B;
  vpc_parse_lambda_param(ps, E, X);
}
lambda(E) ::= LPAREN(P) expr(X) COMMA exprs(L) RPAREN FAT_ARROW lbody(B). {
  E = vpc_node_new(VPC_NODE_LAMBDA, P.pos); E->a = B;
  vpc_parse_lambda_param(ps, E, X);
  for (int i = 0; i < L->list.n; i++)
    vpc_parse_lambda_param(ps, E, L->list.items[i]);
}
lbody(B) ::= expr(E).  { B = E; }
lbody(B) ::= block(K). { B = K; }

range_expr(E) ::= coalesce(E0). { E = E0; }
range_expr(E) ::= coalesce(A) DOTDOT(K) coalesce(B). {
  E = vpc_binary(VPC_NODE_RANGE, &K, A, B);
}
range_expr(E) ::= coalesce(A) DOTDOTEQ(K) coalesce(B). {
  E = vpc_binary(VPC_NODE_RANGE, &K, A, B); E->flag = true;
}
coalesce(E) ::= or_expr(E0). { E = E0; }
coalesce(E) ::= or_expr(A) COALESCE(K) coalesce(B). {
  E = vpc_binary(VPC_NODE_BINARY, &K, A, B);
}
or_expr(E) ::= and_expr(E0). { E = E0; }
or_expr(E) ::= or_expr(A) OR(K) and_expr(B). {
  E = vpc_binary(VPC_NODE_BINARY, &K, A, B);
}
and_expr(E) ::= not_expr(E0). { E = E0; }
and_expr(E) ::= and_expr(A) AND(K) not_expr(B). {
  E = vpc_binary(VPC_NODE_BINARY, &K, A, B);
}
not_expr(E) ::= cmp(E0). { E = E0; }
not_expr(E) ::= NOT(K) not_expr(A). { E = vpc_unary(&K, A); }

cmp(E) ::= bitor(E0). { E = E0; }
cmp(E) ::= bitor(A) cmpop(K) bitor(B). {
  E = vpc_node_new(VPC_NODE_BINARY, A->pos); E->op = K; E->a = A; E->b = B;
}
cmp(E) ::= bitor(A) NOT IN(K) bitor(B). {
  E = vpc_binary(VPC_NODE_BINARY, &K, A, B); E->flag = true;
}
cmp(E) ::= bitor(A) IS(K) NULL. {
  E = vpc_binary(VPC_NODE_BINARY, &K, A, NULL);
}
cmp(E) ::= bitor(A) IS(K) IDENT(T). {
  E = vpc_binary(VPC_NODE_BINARY, &K, A, NULL); E->name = vpc_tok_name(&T);
  E->name_pos = T.pos;
}
cmpop(K) ::= EQ. { K = VPC_TK_EQ; }
cmpop(K) ::= NE. { K = VPC_TK_NE; }
cmpop(K) ::= LT. { K = VPC_TK_LT; }
cmpop(K) ::= LE. { K = VPC_TK_LE; }
cmpop(K) ::= GT. { K = VPC_TK_GT; }
cmpop(K) ::= GE. { K = VPC_TK_GE; }
cmpop(K) ::= IN. { K = VPC_TK_IN; }

bitor(E) ::= bitxor(E0). { E = E0; }
bitor(E) ::= bitor(A) PIPE(K) bitxor(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
bitxor(E) ::= bitand(E0). { E = E0; }
bitxor(E) ::= bitxor(A) CARET(K) bitand(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
bitand(E) ::= shift(E0). { E = E0; }
bitand(E) ::= bitand(A) AMP(K) shift(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
shift(E) ::= add(E0). { E = E0; }
shift(E) ::= shift(A) SHL(K) add(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
shift(E) ::= shift(A) SHR(K) add(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
add(E) ::= mul(E0). { E = E0; }
add(E) ::= add(A) PLUS(K) mul(B).  { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
add(E) ::= add(A) MINUS(K) mul(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
mul(E) ::= pow(E0). { E = E0; }
mul(E) ::= mul(A) STAR(K) pow(B).    { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
mul(E) ::= mul(A) SLASH(K) pow(B).   { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
mul(E) ::= mul(A) PERCENT(K) pow(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
pow(E) ::= unary(E0). { E = E0; }
pow(E) ::= unary(A) POW(K) pow(B). { E = vpc_binary(VPC_NODE_BINARY, &K, A, B); }
unary(E) ::= postfix(E0). { E = E0; }
unary(E) ::= MINUS(K) unary(A). { E = vpc_unary(&K, A); }
unary(E) ::= TILDE(K) unary(A). { E = vpc_unary(&K, A); }

postfix(E) ::= primary(E0). { E = E0; }
postfix(E) ::= postfix(A) DOT IDENT(N). {
  E = vpc_node_new(VPC_NODE_MEMBER, N.pos); E->a = A;
  E->name = vpc_tok_name(&N); E->name_pos = N.pos;
}
postfix(E) ::= postfix(A) QDOT IDENT(N). {
  E = vpc_node_new(VPC_NODE_OPT_MEMBER, N.pos); E->a = A;
  E->name = vpc_tok_name(&N); E->name_pos = N.pos;
}
postfix(E) ::= postfix(A) DOT IDENT(N) LPAREN args(L) RPAREN. {
  E = L; E->kind = VPC_NODE_CALL; E->pos = N.pos; E->a = A;
  E->name = vpc_tok_name(&N); E->name_pos = N.pos;
}
postfix(E) ::= postfix(A) LBRACKET(K) expr(I) RBRACKET. {
  E = vpc_node_new(VPC_NODE_INDEX, K.pos); E->a = A; E->b = I;
}
postfix(E) ::= postfix(A) LBRACKET(K) expr(I) COLON expr(J) RBRACKET. {
  E = vpc_node_new(VPC_NODE_SLICE, K.pos); E->a = A; E->b = I; E->c = J;
}
postfix(E) ::= postfix(A) LBRACKET(K) COLON expr(J) RBRACKET. {
  E = vpc_node_new(VPC_NODE_SLICE, K.pos); E->a = A; E->c = J;
}
postfix(E) ::= postfix(A) LBRACKET(K) expr(I) COLON RBRACKET. {
  E = vpc_node_new(VPC_NODE_SLICE, K.pos); E->a = A; E->b = I;
}
postfix(E) ::= postfix(A) LBRACKET(K) COLON RBRACKET. {
  E = vpc_node_new(VPC_NODE_SLICE, K.pos); E->a = A;
}
postfix(E) ::= postfix(A) QUESTION(K). {
  E = vpc_node_new(VPC_NODE_PROPAGATE, K.pos); E->a = A;
}
postfix(E) ::= IDENT(N) LPAREN args(L) RPAREN. {
  E = L; E->kind = VPC_NODE_CALL; E->pos = N.pos;
  E->name = vpc_tok_name(&N); E->name_pos = N.pos;
}

primary(E) ::= INT(T).       { E = vpc_literal(ps, VPC_NODE_INT, &T); }
primary(E) ::= FLOAT(T).     { E = vpc_literal(ps, VPC_NODE_FLOAT, &T); }
primary(E) ::= STRING(T).    { E = vpc_literal(ps, VPC_NODE_STR, &T); }
primary(E) ::= DURATION(T).  { E = vpc_literal(ps, VPC_NODE_DURATION, &T); }
primary(E) ::= TIMESTAMP(T). { E = vpc_literal(ps, VPC_NODE_TIMESTAMP, &T); }
primary(E) ::= TRUE(T).      { E = vpc_literal(ps, VPC_NODE_BOOL, &T); E->ival = 1; }
primary(E) ::= FALSE(T).     { E = vpc_literal(ps, VPC_NODE_BOOL, &T); }
primary(E) ::= NULL(T).      { E = vpc_literal(ps, VPC_NODE_NULL, &T); }
primary(E) ::= IDENT(N).     { E = vpc_name_node(&N); }
primary(E) ::= LPAREN expr(E0) RPAREN. { E = E0; }
primary(E) ::= LBRACKET(K) RBRACKET. { E = vpc_node_new(VPC_NODE_ARRAY, K.pos); }
primary(E) ::= LBRACKET(K) exprs(L) RBRACKET. {
  E = L; E->kind = VPC_NODE_ARRAY; E->pos = K.pos;
}
primary(E) ::= LBRACKET(K) exprs(L) COMMA RBRACKET. {
  E = L; E->kind = VPC_NODE_ARRAY; E->pos = K.pos;
}
primary(E) ::= LBRACE(K) RBRACE. { E = vpc_node_new(VPC_NODE_MAP, K.pos); }
primary(E) ::= LBRACE(K) mapitems(L) RBRACE. {
  E = L; E->kind = VPC_NODE_MAP; E->pos = K.pos;
}
primary(E) ::= LBRACE(K) mapitems(L) COMMA RBRACE. {
  E = L; E->kind = VPC_NODE_MAP; E->pos = K.pos;
}
exprs(L) ::= expr(E).                 { L = vpc_list_node(E); }
exprs(L) ::= exprs(L0) COMMA expr(E). { L = L0; vpc_list_push(&L->list, E); }
mapitems(L) ::= mapitem(M).                   { L = vpc_list_node(M); }
mapitems(L) ::= mapitems(L0) COMMA mapitem(M). { L = L0; vpc_list_push(&L->list, M); }
mapitem(M) ::= IDENT(N) COLON expr(E).  { M = vpc_arg(&N, E); }
mapitem(M) ::= STRING(N) COLON expr(E). { M = vpc_arg(&N, E); M->name = N.str; }

// Arguments: positional or named, a value or an indented option block.
args(L) ::= .                    { L = vpc_list_node(NULL); }
args(L) ::= arglist(L0).         { L = L0; }
args(L) ::= arglist(L0) COMMA.   { L = L0; }
arglist(L) ::= arg(A).                   { L = vpc_list_node(A); }
arglist(L) ::= arglist(L0) COMMA arg(A). { L = L0; vpc_list_push(&L->list, A); }
arg(A) ::= expr(E).                    { A = vpc_arg(NULL, E); }
arg(A) ::= expr(E) IDENT(D).           {
  /* .order_by(e asc|desc): the direction; lower.c rejects it elsewhere. */
  A = vpc_arg(NULL, E);
  const char *dir = vpc_tok_name(&D);
  A->op = 1;
  A->flag = strcmp(dir, "desc") == 0;
  if (strcmp(dir, "asc") && strcmp(dir, "desc"))
    vpc_error(D.pos, "expected ',' or ')' before '%s'", dir);
}
arg(A) ::= IDENT(N) COLON expr(E).     { A = vpc_arg(&N, E); }
arg(A) ::= IDENT(N) COLON optblock(B). { A = vpc_arg(&N, B); }

optblock(B) ::= INDENT optitems(L) DEDENT. { B = L; B->kind = VPC_NODE_OPTBLOCK; }
optitems(L) ::= optitem(I).             { L = vpc_list_node(I); }
optitems(L) ::= optitems(L0) optitem(I). { L = L0; vpc_list_push(&L->list, I); }
optitems(L) ::= optitems(L0) NEWLINE.    { L = L0; }
optitem(I) ::= IDENT(N) COLON expr(E) NEWLINE.       { I = vpc_arg(&N, E); }
optitem(I) ::= IDENT(N) COLON expr(E) COMMA NEWLINE. { I = vpc_arg(&N, E); }
optitem(I) ::= IDENT(N) COLON optblock(B).           { I = vpc_arg(&N, B); }
