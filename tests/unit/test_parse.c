// Unit tests of the parser: programs in, AST shapes out, written as
// S-expressions so that precedence and layout show at a glance.
// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"
#include "diag.h"
#include "lex.h"
#include "parse.h"
#include "parsing.h"

static void dump(vpc_sbuf *b, const vpc_node *n);

static void dump_list(vpc_sbuf *b, const vpc_list *l) {
  for (int i = 0; i < l->n; i++) {
    vpc_sbuf_puts(b, " ");
    dump(b, l->items[i]);
  }
}

static const char *op_text(int op) {
  switch (op) {
  case VPC_TK_PLUS: return "+";
  case VPC_TK_MINUS: return "-";
  case VPC_TK_STAR: return "*";
  case VPC_TK_SLASH: return "/";
  case VPC_TK_POW: return "**";
  case VPC_TK_EQ: return "==";
  case VPC_TK_LT: return "<";
  case VPC_TK_GT: return ">";
  case VPC_TK_AND: return "and";
  case VPC_TK_OR: return "or";
  case VPC_TK_NOT: return "not";
  case VPC_TK_COALESCE: return "??";
  case VPC_TK_AMP: return "&";
  case VPC_TK_IN: return "in";
  case VPC_TK_IS: return "is";
  case VPC_TK_WALRUS: return ":=";
  case VPC_TK_ASSIGN: return "=";
  case VPC_TK_PLUS_ASSIGN: return "+=";
  case VPC_TK_LET: return "let";
  case VPC_TK_VAR: return "var";
  case VPC_TK_CONST: return "const";
  default: return "?op";
  }
}

// One S-expression per node; only what the tests look at.
static void dump(vpc_sbuf *b, const vpc_node *n) {
  if (!n) {
    vpc_sbuf_puts(b, "_");
    return;
  }
  switch (n->kind) {
  case VPC_NODE_INT:
    vpc_sbuf_printf(b, "%lld", (long long)n->ival);
    return;
  case VPC_NODE_FLOAT:
    vpc_sbuf_printf(b, "%g", n->fval);
    return;
  case VPC_NODE_STR:
    vpc_sbuf_printf(b, "\"%s\"", n->str);
    return;
  case VPC_NODE_BOOL:
    vpc_sbuf_puts(b, n->ival ? "true" : "false");
    return;
  case VPC_NODE_NULL:
    vpc_sbuf_puts(b, "null");
    return;
  case VPC_NODE_DURATION:
    vpc_sbuf_printf(b, "%lldns", (long long)n->ival);
    return;
  case VPC_NODE_NAME:
    vpc_sbuf_puts(b, n->name);
    return;
  case VPC_NODE_UNARY:
    vpc_sbuf_printf(b, "(%s ", op_text(n->op));
    dump(b, n->a);
    break;
  case VPC_NODE_BINARY:
    vpc_sbuf_printf(b, "(%s%s ", n->flag ? "not " : "", op_text(n->op));
    dump(b, n->a);
    vpc_sbuf_puts(b, " ");
    if (n->op == VPC_TK_IS)
      vpc_sbuf_puts(b, n->name ? n->name : "null");
    else
      dump(b, n->b);
    break;
  case VPC_NODE_RANGE:
    vpc_sbuf_printf(b, "(%s ", n->flag ? "..=" : "..");
    dump(b, n->a);
    vpc_sbuf_puts(b, " ");
    dump(b, n->b);
    break;
  case VPC_NODE_CALL:
    vpc_sbuf_printf(b, "(call %s", n->name);
    dump_list(b, &n->list);
    break;
  case VPC_NODE_ARG:
    if (n->name) {
      vpc_sbuf_printf(b, "%s:", n->name);
      dump(b, n->a);
      return;
    }
    dump(b, n->a);
    return;
  case VPC_NODE_MEMBER:
    vpc_sbuf_puts(b, "(. ");
    dump(b, n->a);
    vpc_sbuf_printf(b, " %s", n->name);
    break;
  case VPC_NODE_OPT_MEMBER:
    vpc_sbuf_puts(b, "(?. ");
    dump(b, n->a);
    vpc_sbuf_printf(b, " %s", n->name);
    break;
  case VPC_NODE_PROPAGATE:
    vpc_sbuf_puts(b, "(? ");
    dump(b, n->a);
    break;
  case VPC_NODE_IF_EXPR:
    vpc_sbuf_puts(b, "(if ");
    dump(b, n->a);
    vpc_sbuf_puts(b, " ");
    dump(b, n->b);
    vpc_sbuf_puts(b, " ");
    dump(b, n->c);
    break;
  case VPC_NODE_LAMBDA:
    vpc_sbuf_puts(b, "(=> (");
    for (int i = 0; i < n->list.n; i++)
      vpc_sbuf_printf(b, "%s%s", i ? " " : "",
                      ((vpc_node *)n->list.items[i])->name);
    vpc_sbuf_puts(b, ") ");
    dump(b, n->a);
    break;
  case VPC_NODE_OPTBLOCK:
    vpc_sbuf_puts(b, "{");
    dump_list(b, &n->list);
    vpc_sbuf_puts(b, " }");
    return;
  case VPC_NODE_BLOCK:
    vpc_sbuf_puts(b, "(block");
    dump_list(b, &n->list);
    break;
  case VPC_NODE_LET:
  case VPC_NODE_GLOBAL:
    vpc_sbuf_printf(b, "(%s %s ", op_text(n->op), n->name);
    dump(b, n->a);
    break;
  case VPC_NODE_ASSIGN:
    vpc_sbuf_printf(b, "(%s %s ", op_text(n->op), n->name);
    dump(b, n->a);
    break;
  case VPC_NODE_IF:
    vpc_sbuf_puts(b, "(if");
    for (int i = 0; i < n->list.n; i++) {
      const vpc_node *br = n->list.items[i];
      vpc_sbuf_puts(b, " ");
      dump(b, br->a);
      vpc_sbuf_puts(b, " ");
      dump(b, br->b);
    }
    if (n->c) {
      vpc_sbuf_puts(b, " else ");
      dump(b, n->c);
    }
    break;
  case VPC_NODE_FOR:
    vpc_sbuf_printf(b, "(for %s ", n->name);
    dump(b, n->a);
    vpc_sbuf_puts(b, " ");
    dump(b, n->b);
    break;
  case VPC_NODE_RETURN:
    vpc_sbuf_puts(b, "(return ");
    dump(b, n->a);
    break;
  case VPC_NODE_EXPR_STMT:
    dump(b, n->a);
    return;
  case VPC_NODE_EVENT:
    vpc_sbuf_printf(b, "(event %s%s%s", n->name, n->str ? " < " : "",
                    n->str ? n->str : "");
    for (int i = 0; i < n->list.n; i++) {
      const vpc_node *f = n->list.items[i];
      vpc_sbuf_printf(b, " %s:%s%s", f->name, f->b->name,
                      f->b->flag ? "?" : "");
    }
    break;
  case VPC_NODE_FN:
    vpc_sbuf_printf(b, "(fn %s", n->name);
    for (int i = 0; i < n->list.n; i++)
      vpc_sbuf_printf(b, " %s", ((vpc_node *)n->list.items[i])->name);
    vpc_sbuf_printf(b, " -> %s ", n->b ? n->b->name : "_");
    dump(b, n->a);
    break;
  case VPC_NODE_STREAM:
    vpc_sbuf_printf(b, "(stream %s %s", n->name, n->a->name);
    dump_list(b, &n->list);
    break;
  case VPC_NODE_OP:
    vpc_sbuf_printf(b, ".%s(", n->name);
    for (int i = 0; i < n->list.n; i++) {
      if (i)
        vpc_sbuf_puts(b, " ");
      dump(b, n->list.items[i]);
    }
    vpc_sbuf_puts(b, ")");
    return;
  default:
    vpc_sbuf_printf(b, "(kind%d", (int)n->kind);
    break;
  }
  vpc_sbuf_puts(b, ")");
}

// Parses text and returns its declarations as S-expressions, one per line.
static const char *parse_dump(const char *text) {
  vpc_program *p = vpc_parse_text("t.vpl", text, strlen(text));
  vpc_sbuf b = { 0 };
  for (int i = 0; i < p->decls.n; i++) {
    dump(&b, p->decls.items[i]);
    vpc_sbuf_puts(&b, "\n");
  }
  const char *s = vpc_strdup(b.p ? b.p : "");
  vpc_sbuf_free(&b);
  return s;
}

static const char *expr_dump(const char *expr) {
  const char *s = parse_dump(vpc_format("const X = %s\n", expr));
  assert_int_equal(vpc_error_count(), 0);
  return s;
}

static void test_parse_precedence_follows_the_grammar(void **state) {
  (void)state;
  // Unary minus binds tighter than '**' (4.3).
  assert_string_equal(expr_dump("-2 ** 2"), "(const X (** (- 2) 2))\n");
  assert_string_equal(expr_dump("2 ** 3 ** 2"), "(const X (** 2 (** 3 2)))\n");
  assert_string_equal(expr_dump("1 + 2 * 3 - 4"),
                      "(const X (- (+ 1 (* 2 3)) 4))\n");
  assert_string_equal(expr_dump("not a == b"), "(const X (not (== a b)))\n");
  assert_string_equal(expr_dump("a & b == c"), "(const X (== (& a b) c))\n");
  assert_string_equal(expr_dump("a ?? b or c"),
                      "(const X (?? a (or b c)))\n");
  assert_string_equal(expr_dump("a or b and c"),
                      "(const X (or a (and b c)))\n");
  assert_string_equal(expr_dump("x not in s"), "(const X (not in x s))\n");
  assert_string_equal(expr_dump("x is null"), "(const X (is x null))\n");
  assert_string_equal(expr_dump("1..=5"), "(const X (..= 1 5))\n");
}

static void test_parse_postfix_and_conditional(void **state) {
  (void)state;
  assert_string_equal(expr_dump("f(a, b: 2).c?.d"),
                      "(const X (?. (. (call f a b:2) c) d))\n");
  assert_string_equal(expr_dump("g(x)?"), "(const X (? (call g x)))\n");
  assert_string_equal(expr_dump("if p then 1 else 2 + 3"),
                      "(const X (if p 1 (+ 2 3)))\n");
  assert_string_equal(expr_dump("\"a\\tb\""), "(const X \"a\tb\")\n");
  assert_string_equal(expr_dump("250ms"), "(const X 250000000ns)\n");
}

static void test_parse_declarations(void **state) {
  (void)state;
  const char *src = "event Parcel:\n"
                    "    id: str\n"
                    "    carrier: str?\n"
                    "event Fragile extends Parcel:\n"
                    "    tilt: int\n"
                    "fn classify(kg: float) -> str:\n"
                    "    if kg > 30.0:\n"
                    "        \"freight\"\n"
                    "    elif kg > 2.0:\n"
                    "        \"parcel\"\n"
                    "    else:\n"
                    "        \"letter\"\n"
                    "var total = 0\n";
  assert_string_equal(
      parse_dump(src),
      "(event Parcel id:str carrier:str?)\n"
      "(event Fragile < Parcel tilt:int)\n"
      "(fn classify kg -> str (block (if (> kg 30) (block \"freight\") "
      "(> kg 2) (block \"parcel\") else (block \"letter\"))))\n"
      "(var total 0)\n");
  assert_int_equal(vpc_error_count(), 0);
}

static void test_parse_statements(void **state) {
  (void)state;
  const char *src = "fn f(n: int) -> int:\n"
                    "    var s = 0\n"
                    "    for i in 0..n:\n"
                    "        s += i\n"
                    "    let a = 1; s := s + a\n"
                    "    return s\n";
  assert_string_equal(parse_dump(src),
                      "(fn f n -> int (block (var s 0) (for i (.. 0 n) "
                      "(block (+= s i))) (let a 1) (:= s (+ s a)) "
                      "(return s)))\n");
  assert_int_equal(vpc_error_count(), 0);
}

// The seed's stream: an option block inside .concurrent(...) and block
// lambdas inside parentheses (1.6 L2, L5).
static void test_parse_seed_stream(void **state) {
  (void)state;
  const char *src =
      "stream OrderProcessing = Orders\n"
      "    .partition_by(customer_id)\n"
      "    .concurrent(max_workers: 8, strategy: \"consistent_hash\",\n"
      "        supervision:\n"
      "            restart: \"always\"\n"
      "            max_restarts: 3\n"
      "            backoff: \"exponential\")\n"
      "    .process(order =>\n"
      "        validate_order(order)?\n"
      "        check_inventory(order)?\n"
      "        Ok(order))\n"
      "    .on_error((error, order) =>\n"
      "        log_error(error)\n"
      "        emit_to_dlq(order))\n"
      "    .collect()\n";
  assert_string_equal(
      parse_dump(src),
      "(stream OrderProcessing Orders .partition_by(customer_id) "
      ".concurrent(max_workers:8 strategy:\"consistent_hash\" "
      "supervision:{ restart:\"always\" max_restarts:3 "
      "backoff:\"exponential\" }) "
      ".process((=> (order) (block (? (call validate_order order)) "
      "(? (call check_inventory order)) (call Ok order)))) "
      ".on_error((=> (error order) (block (call log_error error) "
      "(call emit_to_dlq order)))) .collect())\n");
  assert_int_equal(vpc_error_count(), 0);
}

static void test_parse_reports_syntax_errors_and_goes_on(void **state) {
  (void)state;
  int before = vpc_error_count();
  const char *out = parse_dump("const a = 1 + * 2\n"
                               "const b = 2\n"
                               "const d = ) 4\n"
                               "const c = 3\n");
  assert_true(vpc_error_count() > before);
  // One error per broken line; the declarations after them still parse.
  assert_int_equal(vpc_error_count() - before, 2);
  assert_non_null(strstr(out, "(const b 2)"));
  assert_non_null(strstr(out, "(const c 3)"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_precedence_follows_the_grammar),
    cmocka_unit_test(test_parse_postfix_and_conditional),
    cmocka_unit_test(test_parse_declarations),
    cmocka_unit_test(test_parse_statements),
    cmocka_unit_test(test_parse_seed_stream),
    cmocka_unit_test(test_parse_reports_syntax_errors_and_goes_on),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
