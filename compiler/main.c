// vpc's driver (LANGUAGE.md 0.1): parses the command line, runs the
// front end, sema and codegen, then the C compiler, which links the
// generated C statically with libvprt.a found next to vpc itself.
// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen.h"
#include "diag.h"
#include "parsing.h"
#include "sema.h"
#include "version.h"

extern char **environ;

enum { EXIT_COMPILE = 1, EXIT_USAGE = 64, EXIT_INTERNAL = 70 };

typedef struct options {
  const char *input;
  const char *output;
  const char *emit_c;
  const char *cc;
  const char *opt_level;
  const char *runtime_dir;
  const char *dep_file;
  bool check_only, debug, make_deps, werror;
} options;

static const char usage_text[] =
    "usage: vpc [options] PROGRAM.vpl\n"
    "\n"
    "Compiles a VPL pipeline into one statically linked executable.\n"
    "\n"
    "options:\n"
    "  -o EXE              write the executable to EXE (default: PROGRAM\n"
    "                      without .vpl)\n"
    "  --check             parse and check only; write nothing\n"
    "  --emit-c FILE       also write the generated C to FILE\n"
    "  --cc CC             C compiler to use (default: $CC, else cc)\n"
    "  -O LEVEL            optimisation level passed to the C compiler\n"
    "                      (default: 2)\n"
    "  -g                  keep debug information (gdb shows .vpl lines)\n"
    "  --runtime-dir DIR   take libvprt.a and vprt.h from DIR\n"
    "  -MD                 also write a make dependency file (EXE.d)\n"
    "  -MF FILE            write the dependency file to FILE\n"
    "  -Werror             treat warnings as errors\n"
    "  --version           print the version and exit\n"
    "  --help              print this help and exit\n"
    "\n"
    "exit status: 0 success, 1 compile errors, 64 usage error, 70 internal\n"
    "error (including a failure of the C compiler).\n";

static _Noreturn void usage_error(const char *fmt, const char *arg) {
  fputs("vpc: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\nTry 'vpc --help' for more information.\n", stderr);
  exit(EXIT_USAGE);
}

static const char *option_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc)
    usage_error("option '%s' needs a value", argv[*i]);
  return argv[++*i];
}

static void parse_args(int argc, char **argv, options *o) {
  bool options_done = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (options_done || a[0] != '-' || !a[1]) {
      if (o->input)
        usage_error("more than one program given ('%s')", a);
      o->input = a;
    } else if (!strcmp(a, "--")) {
      options_done = true;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(usage_text, stdout);
      exit(0);
    } else if (!strcmp(a, "--version")) {
      printf("vpc %s\n", VPC_VERSION);
      exit(0);
    } else if (!strcmp(a, "-o")) {
      o->output = option_value(argc, argv, &i);
    } else if (!strcmp(a, "--emit-c")) {
      o->emit_c = option_value(argc, argv, &i);
    } else if (!strcmp(a, "--check")) {
      o->check_only = true;
    } else if (!strcmp(a, "--cc")) {
      o->cc = option_value(argc, argv, &i);
    } else if (!strcmp(a, "-O")) {
      o->opt_level = option_value(argc, argv, &i);
    } else if (!strncmp(a, "-O", 2)) {
      o->opt_level = a + 2;
    } else if (!strcmp(a, "-g")) {
      o->debug = true;
    } else if (!strcmp(a, "--runtime-dir")) {
      o->runtime_dir = option_value(argc, argv, &i);
    } else if (!strcmp(a, "-MD")) {
      o->make_deps = true;
    } else if (!strcmp(a, "-MF")) {
      o->dep_file = option_value(argc, argv, &i);
      o->make_deps = true;
    } else if (!strcmp(a, "-Werror")) {
      o->werror = true;
    } else {
      usage_error("unknown option '%s'", a);
    }
  }
  if (!o->input)
    usage_error("%s", "no program given");
  if (o->opt_level && !strchr("0123sgz", o->opt_level[0]))
    usage_error("bad optimisation level '%s'", o->opt_level);
}

static const char *default_output(const char *input) {
  size_t n = strlen(input);
  if (n > 4 && !strcmp(input + n - 4, ".vpl"))
    return vpc_strndup(input, n - 4);
  return vpc_format("%s.out", input);
}

// Finds the runtime: --runtime-dir, else lib/vpc and include/vpc beside
// the directory that holds vpc itself (the build tree and an installation
// are laid out alike).
static void find_runtime(const options *o, const char **lib,
                         const char **inc) {
  if (o->runtime_dir) {
    *lib = vpc_format("%s/libvprt.a", o->runtime_dir);
    *inc = o->runtime_dir;
    return;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "vpc: cannot find its own location: %s\n",
            strerror(errno));
    exit(EXIT_INTERNAL);
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  *slash = '\0';
  *lib = vpc_format("%s/../lib/vpc/libvprt.a", self);
  *inc = vpc_format("%s/../include/vpc", self);
}

static int write_file(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(data, 1, n, f);
  int rc = fclose(f);
  return w == n && rc == 0 ? 0 : -1;
}

// Runs the C compiler; returns its exit status, or -1 if it did not run.
static int run_cc(const options *o, const char *c_file, const char *out) {
  const char *lib, *inc;
  find_runtime(o, &lib, &inc);
  if (access(lib, R_OK) != 0) {
    fprintf(stderr, "vpc: cannot find the runtime library %s\n", lib);
    return -1;
  }
  const char *cc = o->cc ? o->cc : getenv("CC") && *getenv("CC")
                                       ? getenv("CC")
                                       : "cc";
  const char *argv[24];
  int n = 0;
  argv[n++] = cc;
  argv[n++] = "-std=gnu11";
  argv[n++] = vpc_format("-O%s", o->opt_level ? o->opt_level : "2");
  if (o->debug)
    argv[n++] = "-g";
  argv[n++] = "-ffp-contract=off";
  argv[n++] = "-fno-strict-aliasing";
  argv[n++] = "-w";
  argv[n++] = vpc_format("-I%s", inc);
  // C whatever the file's name says, and not an option if it starts
  // with '-'.
  argv[n++] = "-x";
  argv[n++] = "c";
  argv[n++] = c_file[0] == '-' ? vpc_format("./%s", c_file) : c_file;
  argv[n++] = "-x";
  argv[n++] = "none";
  argv[n++] = lib;
  argv[n++] = "-lm";
  argv[n++] = "-static";
  argv[n++] = "-o";
  argv[n++] = out;
  argv[n] = NULL;
  pid_t pid;
  int err = posix_spawnp(&pid, cc, NULL, NULL, (char *const *)argv, environ);
  if (err) {
    fprintf(stderr, "vpc: cannot run the C compiler '%s': %s\n", cc,
            strerror(err));
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    fprintf(stderr, "vpc: cannot run the C compiler '%s'\n", cc);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int write_deps(const options *o, const char *exe, vpc_list *deps) {
  const char *path = o->dep_file ? o->dep_file : vpc_format("%s.d", exe);
  vpc_sbuf b = { 0 };
  vpc_sbuf_printf(&b, "%s:", exe);
  for (int i = 0; i < deps->n; i++)
    vpc_sbuf_printf(&b, " %s", (const char *)deps->items[i]);
  vpc_sbuf_puts(&b, "\n");
  for (int i = 1; i < deps->n; i++)
    vpc_sbuf_printf(&b, "\n%s:\n", (const char *)deps->items[i]);
  int rc = write_file(path, b.p, b.n);
  if (rc)
    fprintf(stderr, "vpc: cannot write %s: %s\n", path, strerror(errno));
  vpc_sbuf_free(&b);
  return rc;
}

static bool same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// A file vpc writes (the executable, or the C of --emit-c) must not
// replace the program itself, and its directory must be writable; both
// are reported before any C is compiled.
static bool output_path_ok(const char *input, const char *path,
                           const char *what) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    fprintf(stderr, "vpc: error: cannot write '%s': it is a directory\n",
            path);
    return false;
  }
  if (same_file(input, path)) {
    fprintf(stderr, "vpc: error: the %s '%s' is the program itself\n", what,
            path);
    return false;
  }
  const char *slash = strrchr(path, '/');
  const char *dir = slash ? vpc_strndup(path, (size_t)(slash - path) + 1)
                          : ".";
  if (access(dir, W_OK) != 0) {
    fprintf(stderr, "vpc: error: cannot write '%s': %s\n", path,
            strerror(errno));
    return false;
  }
  return true;
}

// Whether the C output is also the executable. Checked again once the C is
// written, when a path that did not exist yet (or a dangling link) can be
// compared by its file.
static bool c_output_is_output(const char *c_file, const char *exe) {
  if (strcmp(c_file, exe) && !same_file(c_file, exe))
    return false;
  fprintf(stderr, "vpc: error: the C output '%s' is also the output\n",
          c_file);
  return true;
}

static bool output_paths_ok(const options *o, const char *exe) {
  if (!output_path_ok(o->input, exe, "output"))
    return false;
  if (!o->emit_c)
    return true;
  struct stat st;
  if (stat(o->emit_c, &st) == 0 && !S_ISREG(st.st_mode)) {
    fprintf(stderr, "vpc: error: cannot write C to '%s': not a regular "
                    "file\n",
            o->emit_c);
    return false;
  }
  return output_path_ok(o->input, o->emit_c, "C output") &&
         !c_output_is_output(o->emit_c, exe);
}

static int compile(const options *o, vpc_sema *s, const char *exe) {
  char tmp_c[] = "/tmp/vpcXXXXXX.c";
  const char *c_file = o->emit_c;
  if (!c_file) {
    int fd = mkstemps(tmp_c, 2);
    if (fd < 0) {
      fprintf(stderr, "vpc: cannot create a temporary file: %s\n",
              strerror(errno));
      return EXIT_INTERNAL;
    }
    close(fd);
    c_file = tmp_c;
  }
  vpc_sbuf code = { 0 };
  vpc_codegen(s, o->input, c_file, &code);
  if (write_file(c_file, code.p, code.n)) {
    fprintf(stderr, "vpc: cannot write %s: %s\n", c_file, strerror(errno));
    vpc_sbuf_free(&code);
    return EXIT_INTERNAL;
  }
  vpc_sbuf_free(&code);
  if (o->emit_c && c_output_is_output(c_file, exe))
    return EXIT_COMPILE;
  int rc = run_cc(o, c_file, exe);
  if (!o->emit_c)
    unlink(tmp_c);
  if (rc > 0)
    fprintf(stderr, "vpc: internal error: the C compiler failed on the "
                    "generated code%s\n",
            o->emit_c ? "" : " (keep it with --emit-c FILE)");
  return rc == 0 ? 0 : EXIT_INTERNAL;
}

int main(int argc, char **argv) {
  options o = { 0 };
  parse_args(argc, argv, &o);
  vpc_diag_set_werror(o.werror);
  vpc_list deps = { 0 };
  vpc_program *prog = vpc_parse_program(o.input, &deps);
  vpc_sema *s = vpc_error_count() ? NULL : vpc_sema_program(prog);
  if (vpc_error_count() || !s) {
    int n = vpc_error_count();
    fprintf(stderr, "%d error%s generated.\n", n, n == 1 ? "" : "s");
    return EXIT_COMPILE;
  }
  if (o.check_only)
    return 0;
  const char *exe = o.output ? o.output : default_output(o.input);
  if (!output_paths_ok(&o, exe))
    return EXIT_COMPILE;
  if (o.make_deps && write_deps(&o, exe, &deps))
    return EXIT_INTERNAL;
  int rc = compile(&o, s, exe);
  vpc_free_all();
  return rc;
}
