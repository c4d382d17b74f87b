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

program ::= .
