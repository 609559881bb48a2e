# edist -- build rules.
#
#   make            libedist.a and the edist binary
#   make test       unit tests (cmocka) and integration tests against real
#                   OTP nodes, all built with AddressSanitizer and UBSan
#   make fuzz       libFuzzer targets (clang)
#   make bench      benchmarks next to libei and the BEAM
#   make demo       edist next to a real node started for the occasion
#   make clean
#
# Each layer is a folder whose .c files go into libedist.a; the command's
# files live in tools/. New files are picked up without editing this file.

CC      ?= cc
CFLAGS  ?= -O2 -g
# The flags every file is built with, whatever CFLAGS says.
STD_FLAGS := -std=c11 -D_DEFAULT_SOURCE -DEDIST_VERSION=\"0.1.0\" -Wall -Wextra -Werror -Wshadow \
             -Wno-missing-field-initializers -I.
# zlib linked in (Debian's zlib1g-dev has libz.a): one shared library less
# to load costs every run less than its 100 KB (bench/rpc). No -lm: the
# two functions of it edist uses (frexp, ldexp) are in libc too.
LDLIBS  += -Wl,-Bstatic -lz -Wl,-Bdynamic

LAYERS  := etf epmd handshake dist
LIB_SRC := $(foreach d,$(LAYERS),$(wildcard $(d)/*.c))
TOOL_SRC:= $(wildcard tools/*.c)
HDRS    := $(foreach d,$(LAYERS),$(wildcard $(d)/*.h)) $(wildcard tools/*.h)

BUILD   ?= build
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_OBJ:= $(TOOL_SRC:%.c=$(BUILD)/%.o)

.PHONY: all test unit integration fuzz bench clean demo

all: libedist.a edist

libedist.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

edist: $(TOOL_OBJ) libedist.a
	$(CC) $(CFLAGS) -o $@ $(TOOL_OBJ) libedist.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(STD_FLAGS) $(CFLAGS) -c -o $@ $<

# ---- tests: everything again with the sanitizers, in build-san/ --------
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=build-san/tests/%)

# tests/setup installs what is missing (as root) or says what to install.
test:
	@tests/setup
	@$(MAKE) --no-print-directory unit integration

build-san/.stamp: $(LIB_SRC) $(TOOL_SRC) $(HDRS)
	$(MAKE) BUILD=build-san CFLAGS="$(SAN_FLAGS)" \
	    LDFLAGS="-fsanitize=address,undefined" \
	    build-san/libedist.a build-san/edist
	touch $@

build-san/libedist.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

build-san/edist: $(TOOL_OBJ) build-san/libedist.a
	$(CC) $(CFLAGS) -o $@ $(TOOL_OBJ) build-san/libedist.a $(LDFLAGS) $(LDLIBS)

build-san/tests/%: tests/unit/%.c build-san/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(STD_FLAGS) $(SAN_FLAGS) -o $@ $< build-san/libedist.a -fsanitize=address,undefined \
	    -lcmocka $(LDLIBS)

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

# The integration tests' helper programs (tests/integration/*_peer.c),
# built against the sanitized library.
PEER_SRC := $(wildcard tests/integration/*_peer.c)
PEER_BIN := $(PEER_SRC:tests/integration/%.c=build-san/tests/%)

build-san/tests/%_peer: tests/integration/%_peer.c build-san/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(STD_FLAGS) $(SAN_FLAGS) -o $@ $< build-san/libedist.a $(LDLIBS)

integration: build-san/.stamp $(PEER_BIN)
	@tests/run-integration build-san/edist

demo:
	@tests/demo

fuzz:
	$(MAKE) -C tests/fuzz

bench: all
	$(MAKE) -C bench

clean:
	rm -rf build build-san libedist.a edist
	-$(MAKE) -C tests/fuzz clean
	-$(MAKE) -C bench clean
