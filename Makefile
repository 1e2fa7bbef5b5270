# mailsrvd — build, test and run.
#
#   make test     install missing Debian packages, build, run every test
#   make run      start the daemon for the current user (user socket, system resolver)
#   make build    debug build

SWIFT    ?= swift
PREFIX   ?= /usr/local
DESTDIR  ?=

# Debian packages the build and the tests need. libevent-dev: libunbound.pc requires it.
# libssl-dev: TLS of `mailsrvctl connect`. dovecot-*, openssl: the real mail servers and
# test CA of Tests/MailHarness; isync, fetchmail, neomutt, offlineimap3: real clients through the tunnel.
DEB_PACKAGES = python3 python3-pip pkg-config libunbound-dev libevent-dev libsystemd-dev libidn2-dev \
               libssl-dev knot knot-dnsutils socat openssl dovecot-imapd dovecot-pop3d \
               isync fetchmail neomutt offlineimap3 msmtp getmail6

.PHONY: all build test run deps clean

all: build

## deps: install the Debian packages that are missing (apt-get, non-interactive).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# The Python varlink client, a real outside client the tests talk to the daemon with.
	@python3 -c 'import varlink' 2>/dev/null || python3 -m pip install -q varlink 2>/dev/null \
	    || python3 -m pip install -q --break-system-packages varlink
	@# aiosmtpd: the real SMTP submission server of Tests/MailHarness.
	@python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd 2>/dev/null \
	    || python3 -m pip install -q --break-system-packages aiosmtpd

build: deps
	$(SWIFT) build

## run: mailsrvd for the current user: user socket ($$XDG_RUNTIME_DIR/mailsrvd, or /run/mailsrvd
## as root), the resolvers of /etc/resolv.conf, state and cache under the XDG directories.
run: build
	.build/debug/mailsrvd $(ARGS)

## test: every test, in one run: Swift Testing runs the suites in parallel (they start
## their own Knot, daemons, mail servers and clients; none blocks a thread of the test
## process's concurrency pool, see Tests/DaemonTests/DaemonConnection.swift). An optimised
## build with testable imports (in .build/release): the tests spend most of their CPU in
## the daemon and the clients, and a debug build took twice that. The test binary runs
## directly, not through `swift test`, which loads every package manifest again (1.5 s,
## and a miss of SwiftPM's manifest cache whenever its environment differs from the
## build's); Swift Testing flushes each line, so a log cut short (.ci/run bounds each step)
## still shows which tests were running. `make test TEST_ARGS="--filter Name"` runs some.
TEST_BUILD = -c release -Xswiftc -enable-testing
TEST_BINARY = .build/release/mailsrvdPackageTests.xctest
test: deps
	$(SWIFT) build $(TEST_BUILD) --build-tests
	$(TEST_BINARY) --testing-library swift-testing $(TEST_ARGS)

clean:
	rm -rf .build

# ---------------------------------------------------------------------------------------
# make bench        release build in .build-release, then bench/run.sh: its own Knot, mailsrvd
#                   and the anchors (NUL-echo floor, unbound + dnsperf, kdig chain), and
#                   `mailsrvctl connect` against `openssl s_client` on Dovecot; writes the
#                   tables into BENCHMARKS.md (~4 min after the build; root, for the netns and Dovecot).
# make bench-smoke  every step for ~10 s with the same release build (CI: it is the only
#                   place the optimised binary runs); prints the tables only, fails on any
#                   error reply to a cached Lookup.
BENCH_PACKAGES = unbound dnsperf iproute2 knot knot-dnsutils python3
# The release build of `make bench`, `make install` and `make deb` (Swift runtime linked
# statically; source paths recorded relative to the checkout, so that no build directory
# leaks into the installed binaries; symbols bound at load time, so that the GOT is
# read-only: Debian's hardening, which lintian checks).
RELEASE_BUILD  = $(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-release \
                 -Xswiftc -file-prefix-map -Xswiftc $(CURDIR)=. -Xcc -ffile-prefix-map=$(CURDIR)=. \
                 -Xlinker -z -Xlinker now
SMOKE_BUILD   ?= $(RELEASE_BUILD)

.PHONY: bench bench-smoke bench-deps

bench-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"

bench: bench-deps
	$(RELEASE_BUILD) --product mailsrvd
	$(RELEASE_BUILD) --product mailsrvctl
	$(RELEASE_BUILD) --product mailsrvbench
	bench/run.sh "$$($(RELEASE_BUILD) --show-bin-path)" BENCHMARKS.md

bench-smoke: bench-deps
	$(SMOKE_BUILD) --product mailsrvd
	$(SMOKE_BUILD) --product mailsrvctl
	$(SMOKE_BUILD) --product mailsrvbench
	bench/run.sh --smoke "$$($(SMOKE_BUILD) --show-bin-path)" "$${TMPDIR:-/tmp}/mailsrvd-bench-smoke.md"

# ---------------------------------------------------------------------------------------
# make install / make uninstall (DESTDIR, PREFIX and the directories below honoured), and
# make deb: the Debian package, whose debian/rules is `make install` with Debian's paths.
#
# INSTALL_FILES is the one list of what is installed where, SOURCE:DESTINATION:MODE. The
# sources are made by `make dist` in $(DIST): the release binaries (Swift runtime linked
# statically: the unit's DynamicUser cannot rely on /opt/swift), man pages (man/*.in filled
# in from each command's --experimental-dump-help, so that every flag and verb is in them),
# shell completions (--generate-completion-script), the units (ExecStart= follows PREFIX;
# mailsrvd-autoconfig.socket is installed, not enabled) and the Thunderbird preference file
# (for an administrator to copy into /etc/thunderbird/pref/, README).
# A file under $(SYSCONFDIR) is configuration: install never overwrites one, uninstall
# removes it only when unchanged (and says so).
UNITDIR     ?= /etc/systemd/system
SYSCONFDIR  ?= /etc
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DOCDIR      ?= $(PREFIX)/share/doc/mailsrvd
DATADIR      = $(PREFIX)/share/mailsrvd
VARLINKDIR   = $(PREFIX)/share/varlink
DIST         = .build-release/dist
COMMANDS     = mailsrvd mailsrvctl
UNITS        = $(notdir $(wildcard systemd/*.service systemd/*.socket))

INSTALL_FILES = \
    $(foreach c,$(COMMANDS),$(DIST)/$(c):$(PREFIX)/bin/$(c):755) \
    $(DIST)/mailsrvd.8:$(MANDIR)/man8/mailsrvd.8:644 \
    $(DIST)/mailsrvctl.1:$(MANDIR)/man1/mailsrvctl.1:644 \
    man/mailsrvd.conf.5:$(MANDIR)/man5/mailsrvd.conf.5:644 \
    $(foreach c,$(COMMANDS),$(DIST)/$(c).bash:$(BASHCOMPDIR)/$(c):644 \
        $(DIST)/$(c).zsh:$(ZSHCOMPDIR)/_$(c):644 $(DIST)/$(c).fish:$(FISHCOMPDIR)/$(c).fish:644) \
    $(foreach u,$(UNITS),$(DIST)/$(u):$(UNITDIR)/$(u):644) \
    config/mailsrvd.conf:$(SYSCONFDIR)/mailsrvd/mailsrvd.conf:644 \
    config/mailsrvd.conf:$(DOCDIR)/mailsrvd.conf:644 \
    Sources/MailSRVInterface/io.mailsrvd.Discovery.varlink:$(VARLINKDIR)/io.mailsrvd.Discovery.varlink:644 \
    $(DIST)/thunderbird-mailsrvd.js:$(DATADIR)/thunderbird-mailsrvd.js:644

# Splits one entry of INSTALL_FILES into $src, $dest (under DESTDIR) and $mode (shell).
SPLIT_ENTRY = src=$${entry%%:*}; rest=$${entry\#*:}; dest="$(DESTDIR)$${rest%:*}"; mode=$${rest\#\#*:}

.PHONY: dist install uninstall install-check deb deb-deps deb-check

## dist: the release build and what is made from it, in $(DIST).
dist:
	$(RELEASE_BUILD) --product mailsrvd
	$(RELEASE_BUILD) --product mailsrvctl
	@set -e; bin="$$($(RELEASE_BUILD) --show-bin-path)"; \
	rm -rf $(DIST); mkdir -p $(DIST); \
	for command in $(COMMANDS); do \
	    cp "$$bin/$$command" $(DIST)/; \
	    "$$bin/$$command" --experimental-dump-help > $(DIST)/$$command.json; \
	    for shell in bash zsh fish; do \
	        "$$bin/$$command" --generate-completion-script $$shell | sed '1{/^#!/d}' > $(DIST)/$$command.$$shell; \
	    done; \
	done; \
	for template in man/*.in; do \
	    page=$$(basename $$template .in); \
	    sed 's|@PREFIX@|$(PREFIX)|g; s|@UNITDIR@|$(UNITDIR)|g' $$template > $(DIST)/$$page.in; \
	    man/mdoc-from-help $(DIST)/$$page.in < $(DIST)/$${page%.*}.json > $(DIST)/$$page; \
	done; \
	for file in $(addprefix systemd/,$(UNITS)) config/thunderbird-mailsrvd.js; do \
	    sed 's|/usr/local/|$(PREFIX)/|g' $$file > $(DIST)/$$(basename $$file); \
	done

## install-check: install and uninstall into temporary DESTDIRs and check every file, the
## man pages and the completions (CI).
install-check: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(CHECK_PACKAGES)"
	.ci/install-check

install: dist
	@set -e; for entry in $(INSTALL_FILES); do \
	    $(SPLIT_ENTRY); \
	    case "$$rest" in $(SYSCONFDIR)/*) \
	        if [ -e "$$dest" ]; then echo "keeping $$dest (configuration is never overwritten)"; continue; fi;; \
	    esac; \
	    install -d "$$(dirname "$$dest")"; \
	    install -m "$$mode" "$$src" "$$dest"; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; start with: systemctl enable --now mailsrvd.socket"

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl disable --now $(UNITS) 2>/dev/null || true; \
	fi
	@for entry in $(INSTALL_FILES); do \
	    $(SPLIT_ENTRY); \
	    case "$$rest" in $(SYSCONFDIR)/*) \
	        if [ -e "$$dest" ] && ! cmp -s "$$dest" "$(DESTDIR)$(DOCDIR)/$$(basename "$$dest")" \
	                           && ! cmp -s "$$dest" "$$src"; then \
	            echo "keeping $$dest: it was changed"; continue; \
	        fi;; \
	    esac; \
	    rm -f "$$dest"; \
	done; \
	rmdir "$(DESTDIR)$(SYSCONFDIR)/mailsrvd" "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(VARLINKDIR)" "$(DESTDIR)$(DATADIR)" \
	    2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# What the checks of the pages, the completions and the package use.
CHECK_PACKAGES = mandoc man-db groff-base bash-completion zsh fish
DEB_BUILD_PACKAGES = debhelper dpkg-dev lintian

deb-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_BUILD_PACKAGES) $(CHECK_PACKAGES)"

## deb: ../mailsrvd_VERSION_amd64.deb (dpkg-buildpackage; debian/rules runs make dist and make install).
deb: deb-deps
	dpkg-buildpackage -b -us -uc

## deb-check: make deb, then its contents file by file, lintian, and the package installed,
## served, upgraded, removed and purged under systemd in a namespace (root).
deb-check: deb
	.ci/deb-check

# ---------------------------------------------------------------------------------------
# Reliability (RELIABILITY.md): libFuzzer targets and the load / hostile-clients soak.
#
#   make fuzz          build fuzz/ (.build-fuzz, ASan + libFuzzer), run each target FUZZ_SECONDS (600)
#                      or until FUZZ_RUNS executions, if set (make fuzz FUZZ_SECONDS=6000 FUZZ_RUNS=10000000)
#   make fuzz-smoke    the same, 30 s per target (CI)
#   make soak          mailsrvsoak: 1,000 connections + hostile clients, SOAK_SECONDS (120), then kill -9
#   make soak-smoke    the same, 20 s (CI), another uid's Lookup p99 printed, not bounded
#                      (SOAK_P99_MS, 50: the bound `make soak` holds it to)
FUZZ_SECONDS ?= 600
SOAK_SECONDS ?= 120
SOAK_CONNECTIONS ?= 1000
SOAK_P99_MS ?= 50

.PHONY: fuzz fuzz-smoke fuzz-build soak soak-smoke

fuzz-build: deps
	sh fuzz/build.sh

fuzz: fuzz-build
	sh fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	sh fuzz/run.sh 30

soak: deps
	$(SWIFT) build --product mailsrvd
	$(SWIFT) build --product mailsrvsoak
	ulimit -n $$(ulimit -Hn); "$$($(SWIFT) build --show-bin-path)/mailsrvsoak" --seconds $(SOAK_SECONDS) --connections $(SOAK_CONNECTIONS) $(if $(SOAK_P99_MS),--p99-ms $(SOAK_P99_MS))

soak-smoke:
	$(MAKE) soak SOAK_SECONDS=20 SOAK_P99_MS=
