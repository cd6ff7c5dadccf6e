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

# ---- install, uninstall, man pages --------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] lays out the binaries, the
# systemd unit, the man pages and /etc/hms-ebpf/hms.yaml (an existing one is
# never overwritten).  make uninstall removes what install wrote except the
# configuration.  make man renders the man pages (warnings are errors).
PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
DOCDIR		?= $(PREFIX)/share/doc/hms-ebpf
SYSCONFDIR	?= /etc
UNITDIR		?= $(PREFIX)/lib/systemd/system
INSTALL		?= install
MAN_PAGES	:= man/hms-ebpf.8 man/hms-registry.8 man/hms.yaml.5

.PHONY: install uninstall man

install: $(DAEMON) $(TOOLS)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/prometheus \
		$(DESTDIR)$(SYSCONFDIR)/hms-ebpf
	$(Q)$(INSTALL) -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/hms-ebpf
	$(Q)$(INSTALL) -m 0755 $(OUTPUT)/hms-registry $(DESTDIR)$(BINDIR)/hms-registry
	$(Q)$(INSTALL) -m 0644 man/hms-ebpf.8 man/hms-registry.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)$(INSTALL) -m 0644 man/hms.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|/etc/hms-ebpf/|$(SYSCONFDIR)/hms-ebpf/|g' \
		etc/hms-ebpf.service.in > $(DESTDIR)$(UNITDIR)/hms-ebpf.service.tmp
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/hms-ebpf.service.tmp
	$(Q)mv $(DESTDIR)$(UNITDIR)/hms-ebpf.service.tmp $(DESTDIR)$(UNITDIR)/hms-ebpf.service
	$(Q)$(INSTALL) -m 0644 LICENSE README.md $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 etc/hms.yaml $(DESTDIR)$(DOCDIR)/hms.yaml.example
	$(Q)$(INSTALL) -m 0644 etc/prometheus/prometheus.yml \
		etc/prometheus/hms-ebpf.rules.yml $(DESTDIR)$(DOCDIR)/prometheus/
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/hms-ebpf/hms.yaml ]; then \
		echo "  KEEP     $(DESTDIR)$(SYSCONFDIR)/hms-ebpf/hms.yaml (exists; the example is $(DOCDIR)/hms.yaml.example)"; \
	else \
		$(INSTALL) -m 0644 etc/hms.yaml $(DESTDIR)$(SYSCONFDIR)/hms-ebpf/hms.yaml; \
	fi

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/hms-ebpf $(DESTDIR)$(BINDIR)/hms-registry \
		$(DESTDIR)$(MANDIR)/man8/hms-ebpf.8 $(DESTDIR)$(MANDIR)/man8/hms-registry.8 \
		$(DESTDIR)$(MANDIR)/man5/hms.yaml.5 $(DESTDIR)$(UNITDIR)/hms-ebpf.service
	$(Q)rm -rf $(DESTDIR)$(DOCDIR)
	$(Q)echo "  KEEP     $(DESTDIR)$(SYSCONFDIR)/hms-ebpf (configuration; remove it by hand)"

man: $(patsubst man/%,$(OUTPUT)/man/%.txt,$(MAN_PAGES))

$(OUTPUT)/man/%.txt: man/%
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l $< 2>$@.err > $@.tmp; \
		if [ -s $@.err ]; then cat $@.err >&2; rm -f $@.tmp $@.err; exit 1; fi
	$(Q)rm -f $@.err && mv $@.tmp $@
