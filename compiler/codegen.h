// C code generation: turns the checked program of sema.c into one C file
// that includes only vprt.h and links with libvprt.a (LANGUAGE.md 0.1,
// STYLE.md 4). The same program always gives the same bytes.
// SPDX-License-Identifier: MIT
#ifndef VPC_CODEGEN_H
#define VPC_CODEGEN_H

#include "sema.h"
#include "util.h"

// Writes the program's C into out. c_name is the name the C file will
// have, for the #line directives that lead back from VPL to C.
void vpc_codegen(vpc_sema *s, const char *vpl_path, const char *c_name,
                 vpc_sbuf *out);

#endif
