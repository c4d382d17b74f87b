# vpc: one non-recursive Makefile. Everything built goes under build/,
# laid out as an installation (bin/, lib/vpc/, include/vpc/) so that vpc
# finds its runtime the same way in the build tree and after `make install`.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
RE2C ?= re2c
LEMON ?= lemon

WARN := -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

B := build
GEN := $(B)/gen
VPC := $(B)/bin/vpc
LIBVPRT := $(B)/lib/vpc/libvprt.a
INCDIR := $(B)/include/vpc

RT_SRC := $(wildcard runtime/*.c)
RT_HDR := $(wildcard runtime/*.h)
RT_OBJ := $(RT_SRC:%.c=$(B)/obj/%.o)

CC_SRC := $(wildcard compiler/*.c)
CC_OBJ := $(CC_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/lexer.o $(B)/obj/gen/parse.o
CC_LIB_OBJ := $(filter-out $(B)/obj/compiler/main.o,$(CC_OBJ))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all check unit e2e compile-fail samples fault checkpoint sanitize \
        install uninstall clean deps sample
all: $(VPC) $(LIBVPRT) headers

# Installs the build and test dependencies that are missing (Debian).
deps:
	@tools/install-deps.sh

# Builds everything and runs the order pipeline on its sample events.
sample: deps
	$(MAKE) all
	$(VPC) samples/orders.vpl -o $(B)/orders
	$(B)/orders samples/orders.evt -o $(B)/orders.jsonl \
	  --dlq $(B)/orders.dlq.jsonl --stats $(B)/orders.stats.json
	@echo "outputs: $(B)/orders.jsonl, dead letters: $(B)/orders.dlq.jsonl, \
	counters: $(B)/orders.stats.json"

# Front end: re2c and lemon write into build/gen, keeping #line directives
# that point back into grammar/.
$(GEN)/parse.c $(GEN)/parse.h: grammar/parser.y
	@mkdir -p $(GEN)
	cp grammar/parser.y $(GEN)/parse.y
	$(LEMON) -q -s $(GEN)/parse.y >/dev/null
	@test ! -s $(GEN)/parse.out || true

$(GEN)/lexer.c: grammar/lexer.re $(GEN)/parse.h
	@mkdir -p $(GEN)
	$(RE2C) -W --no-generation-date -o $@ grammar/lexer.re

# lemon's and re2c's own code: lemon's destructor fetches the extra
# argument even when no destructor uses it.
$(B)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-unused-function -Wno-unused-variable \
	  -Wno-missing-prototypes \
	  -Icompiler -Iruntime -I$(GEN) -c $< -o $@

# The compiler shares one runtime header, supconfig.h, which depends on
# nothing else of the runtime.
$(B)/obj/compiler/%.o: compiler/%.c $(GEN)/parse.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Icompiler -Iruntime -I$(GEN) -c $< -o $@

$(VPC): $(CC_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

# Runtime: libvprt.a plus its headers, next to vpc.
$(B)/obj/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iruntime -c $< -o $@

$(LIBVPRT): $(RT_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

headers: $(RT_HDR)
	@mkdir -p $(INCDIR)
	cp $(RT_HDR) $(INCDIR)/
.PHONY: headers

# Unit tests: one cmocka binary per tests/unit/test_*.c, linked with the
# runtime and the compiler's library objects.
$(B)/tests/%: tests/unit/%.c $(LIBVPRT) $(CC_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iruntime -Icompiler -I$(GEN) $< $(CC_LIB_OBJ) \
	  $(LIBVPRT) -lcmocka -lm -o $@

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: all
	tests/run-e2e.sh

compile-fail: all
	tests/run-compile-fail.sh

samples: all
	tests/run-samples.sh

fault: all
	tests/run-fault.sh

checkpoint: all
	tests/run-checkpoint.sh

doc-examples: all
	tests/run-doc-examples.sh

fuzz-regressions: all
	tests/run-fuzz-regressions.sh
.PHONY: doc-examples fuzz-regressions

# Front-end fuzzing with AFL++ for FUZZ_SECONDS (not part of check): the
# harness in tests/fuzz runs parse, sema and codegen on one input per
# process. Crashes and hangs are replayed through an ASan+UBSan build.
FUZZ_SECONDS ?= 600
AFL_CC ?= afl-clang-fast
FUZZ := $(B)/fuzz
FUZZ_SRC := tests/fuzz/fuzz_frontend.c \
            $(filter-out compiler/main.c,$(CC_SRC)) $(GEN)/lexer.c $(GEN)/parse.c
FUZZ_CFLAGS := -std=gnu11 -g -w -Icompiler -Iruntime -I$(GEN)

$(FUZZ)/fuzz_frontend_afl: $(FUZZ_SRC) $(wildcard compiler/*.h)
	@mkdir -p $(@D)
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 $(AFL_CC) $(FUZZ_CFLAGS) -O1 \
	  $(FUZZ_SRC) -o $@

$(FUZZ)/fuzz_frontend_san: $(FUZZ_SRC) $(wildcard compiler/*.h)
	@mkdir -p $(@D)
	$(CC) $(FUZZ_CFLAGS) $(SAN_FLAGS) $(FUZZ_SRC) -o $@

fuzz: $(FUZZ)/fuzz_frontend_afl $(FUZZ)/fuzz_frontend_san
	tests/fuzz/fuzz.sh $(FUZZ_SECONDS) $(FUZZ)/fuzz_frontend_afl \
	  $(FUZZ)/fuzz_frontend_san $(FUZZ)
.PHONY: fuzz

# Benchmarks against the C baselines of ../shared/bench (not part of check;
# see docs/performance.md). BENCH_EVENTS, BENCH_RUNS, BENCH_RSS=1.
bench: all
	bench/run.sh
.PHONY: bench

# Every test: unit tests, compile-fail, end-to-end, samples, faults and
# checkpoints.
check: deps
	$(MAKE) all
	$(MAKE) -k unit compile-fail e2e doc-examples fuzz-regressions samples \
	  fault checkpoint

# The runtime's unit tests under AddressSanitizer and UBSan.
sanitize:
	$(MAKE) B=build/san CFLAGS="$(SAN_FLAGS)" unit

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/vpc \
	  $(DESTDIR)$(PREFIX)/include/vpc
	install -m 755 $(VPC) $(DESTDIR)$(PREFIX)/bin/vpc
	install -m 644 $(LIBVPRT) $(DESTDIR)$(PREFIX)/lib/vpc/libvprt.a
	install -m 644 $(RT_HDR) $(DESTDIR)$(PREFIX)/include/vpc/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vpc
	rm -rf $(DESTDIR)$(PREFIX)/lib/vpc $(DESTDIR)$(PREFIX)/include/vpc

clean:
	rm -rf build

-include $(RT_OBJ:.o=.d) $(CC_OBJ:.o=.d)
