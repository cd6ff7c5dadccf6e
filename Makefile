# hms-ebpf build: BPF objects -> skeletons -> daemon, registry library,
# tools, tests and benchmarks, all under .output/ (or .output/asan with
# SANITIZE=1).  New files in the source folders are picked up by wildcard.

OUTPUT	:= .output$(if $(SANITIZE),/asan)
CC	?= gcc
CLANG	?= clang
BPFTOOL	?= bpftool
ARCH	:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX	:= vmlinux/$(ARCH)/vmlinux.h
VERSION	:= 0.1.0

PKGS	:= libbpf libelf zlib jansson libfyaml libmicrohttpd rocksdb libsystemd
# CFLAGS is the user's (make CFLAGS=-O0 works); what the build needs is
# added with override so a command-line CFLAGS cannot drop it.
CFLAGS	?= -g -O2
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	   -DHMS_VERSION='"$(VERSION)"' \
	   -I$(OUTPUT) -Ibpf -Iuserspace -Iregistry \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS		:= $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS	:= $(wildcard bpf/*.h)

REG_SRCS	:= $(wildcard registry/*.c)
REG_OBJS	:= $(patsubst %.c,$(OUTPUT)/%.o,$(REG_SRCS))
REG_LIB		:= $(OUTPUT)/libhmsregistry.a

D_SRCS		:= $(filter-out userspace/main.c,$(wildcard userspace/*.c))
D_OBJS		:= $(patsubst %.c,$(OUTPUT)/%.o,$(D_SRCS))
D_LIB		:= $(OUTPUT)/libhmsd.a
DAEMON		:= $(OUTPUT)/hms-ebpf

TOOL_SRCS	:= $(wildcard tools/*.c)
TOOLS		:= $(patsubst tools/%.c,$(OUTPUT)/%,$(TOOL_SRCS))
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNITS		:= $(patsubst %.c,$(OUTPUT)/%,$(UNIT_SRCS))
INTEG_SRCS	:= $(wildcard tests/integration/test_*.c)
INTEGS		:= $(patsubst %.c,$(OUTPUT)/%,$(INTEG_SRCS))
TESTLIB_SRCS	:= $(wildcard tests/*.c)
TESTLIB		:= $(OUTPUT)/libhmstest.a
HELPER_SRCS	:= $(wildcard tests/helpers/*.c)
HELPERS		:= $(patsubst tests/helpers/%.c,$(OUTPUT)/tests/helpers/%,$(HELPER_SRCS))
BENCH_SRCS	:= $(wildcard bench/bench_*.c)
BENCHES		:= $(patsubst %.c,$(OUTPUT)/%,$(BENCH_SRCS))
HDRS		:= $(wildcard userspace/*.h registry/*.h tests/*.h) $(BPF_HDRS)

Q	:= $(if $(V),,@)
msg	= $(if $(V),,@printf '  %-8s %s\n' "$(1)" "$(2)";)

.PHONY: all deps build run test unit integration bench clean vmlinux install-deps
.DEFAULT_GOAL := all

all: $(DAEMON) $(TOOLS) $(UNITS) $(INTEGS) $(HELPERS) $(BENCHES)

build: all

install-deps deps:
	$(Q)./tools/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(DAEMON) $(ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUTPUT=$(OUTPUT) DAEMON=$(DAEMON) ./tests/run.sh all

unit: $(UNITS)
	$(Q)OUTPUT=$(OUTPUT) ./tests/run.sh unit

integration: all
	$(Q)OUTPUT=$(OUTPUT) DAEMON=$(DAEMON) ./tests/run.sh integration

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUTPUT=$(OUTPUT) DAEMON=$(DAEMON) ./bench/run.sh

vmlinux:
	$(call msg,GEN,$(VMLINUX))
	$(Q)mkdir -p $(dir $(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	$(Q)mv $(VMLINUX).tmp $(VMLINUX)

clean:
	$(call msg,CLEAN,.output)
	$(Q)rm -rf .output

$(OUTPUT):
	$(Q)mkdir -p $@

# BPF: clang -target bpf, CO-RE against the committed vmlinux.h
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
		-I$(dir $(VMLINUX)) -Ibpf -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(REG_LIB): $(REG_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(D_LIB): $(D_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(DAEMON): $(OUTPUT)/userspace/main.o $(D_LIB) $(REG_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/%: tools/%.c $(HDRS) $(D_LIB) $(REG_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(D_LIB) $(REG_LIB) $(LDLIBS) -o $@

$(TESTLIB): $(patsubst %.c,$(OUTPUT)/%.o,$(TESTLIB_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/tests/%: tests/%.c $(HDRS) $(TESTLIB) $(D_LIB) $(REG_LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(TESTLIB) $(D_LIB) $(REG_LIB) $(LDLIBS) -lcmocka -lpthread -o $@

$(OUTPUT)/bench/%: bench/%.c $(HDRS) $(D_LIB) $(REG_LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(D_LIB) $(REG_LIB) $(LDLIBS) -lpthread -o $@

.SECONDARY:
.DELETE_ON_ERROR:
