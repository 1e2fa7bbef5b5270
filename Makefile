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

## test: every test. The suites that start daemons run apart from the others: together,
## a hundred child processes make the timing of the resolver tests meaningless; and the
## `mailsrvctl connect` suites (a Knot, a daemon and mail servers each) apart from those.
## Output is line-buffered, so that a log cut short (.ci/run bounds each step) still shows
## which tests were running.
TEST_RUN = stdbuf -oL -eL $(SWIFT) test --skip-build
test: deps
	$(SWIFT) build --build-tests
	$(TEST_RUN) --skip DaemonTests
	$(TEST_RUN) --filter DaemonTests --skip 'DaemonTests\.Connect'
	$(TEST_RUN) --filter 'DaemonTests\.Connect'

clean:
	rm -rf .build

# ---------------------------------------------------------------------------------------
# make bench        release build in .build-release, then bench/run.sh: its own Knot, mailsrvd
#                   and the anchors (NUL-echo floor, unbound + dnsperf, kdig chain); writes
#                   the tables into BENCHMARKS.md (~2 min after the build; root, for the netns).
# make bench-smoke  every step for ~10 s with the same release build (CI: it is the only
#                   place the optimised binary runs); prints the tables only, fails on any
#                   error reply to a cached Lookup.
BENCH_PACKAGES = unbound dnsperf iproute2 knot knot-dnsutils python3
# The release build of `make bench` and `make install` (Swift runtime linked statically).
RELEASE_BUILD  = $(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-release
SMOKE_BUILD   ?= $(RELEASE_BUILD)

.PHONY: bench bench-smoke bench-deps

bench-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"

bench: bench-deps
	$(RELEASE_BUILD) --product mailsrvd
	$(RELEASE_BUILD) --product mailsrvbench
	bench/run.sh "$$($(RELEASE_BUILD) --show-bin-path)" BENCHMARKS.md

bench-smoke: bench-deps
	$(SMOKE_BUILD) --product mailsrvd
	$(SMOKE_BUILD) --product mailsrvbench
	bench/run.sh --smoke "$$($(SMOKE_BUILD) --show-bin-path)" "$${TMPDIR:-/tmp}/mailsrvd-bench-smoke.md"

# ---------------------------------------------------------------------------------------
# make install / make uninstall (PREFIX, DESTDIR honoured)
#
#   $(PREFIX)/bin/mailsrvd, mailsrvctl    release build, Swift runtime linked statically
#                                          (the unit's DynamicUser cannot rely on /opt/swift)
#   $(UNITDIR)/mailsrvd.{service,socket}   ExecStart= and Documentation= follow PREFIX
#   $(UNITDIR)/mailsrvd-autoconfig.socket  Thunderbird autoconfig on 127.0.0.1:8186 (not enabled)
#   $(SYSCONFDIR)/mailsrvd/mailsrvd.conf   only when there is none yet (never overwritten)
#   $(PREFIX)/share/varlink/io.mailsrvd.Discovery.varlink
#   $(PREFIX)/share/mailsrvd/thunderbird-mailsrvd.js   Thunderbird preference, for an admin
#                                          to copy into /etc/thunderbird/pref/ (README)
#   $(PREFIX)/share/doc/mailsrvd/          mailsrvd.txt, mailsrvctl.txt (--help as a page),
#                                          mailsrvd.conf (the shipped config, for reference)
#
# `make uninstall` removes all of it except a config file that was changed after install
# (it is kept, and said so); the shipped one is removed. With no DESTDIR and systemd
# running, install reloads systemd and uninstall first disables and stops the units.
UNITDIR    ?= /etc/systemd/system
SYSCONFDIR ?= /etc
DOCDIR     = $(PREFIX)/share/doc/mailsrvd
DATADIR    = $(PREFIX)/share/mailsrvd
UNITS      = mailsrvd.service mailsrvd.socket mailsrvd-autoconfig.socket

.PHONY: install uninstall install-check

## install-check: install and uninstall into temporary DESTDIRs and check every file (CI).
install-check: deps
	.ci/install-check

install:
	$(RELEASE_BUILD) --product mailsrvd
	$(RELEASE_BUILD) --product mailsrvctl
	@set -e; bin="$$($(RELEASE_BUILD) --show-bin-path)"; \
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSCONFDIR)/mailsrvd" \
	    "$(DESTDIR)$(PREFIX)/share/varlink" "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(DATADIR)"; \
	install -m 0755 "$$bin/mailsrvd" "$$bin/mailsrvctl" "$(DESTDIR)$(PREFIX)/bin/"; \
	for unit in $(UNITS); do \
	    sed 's|/usr/local/|$(PREFIX)/|g' "systemd/$$unit" > "$(DESTDIR)$(UNITDIR)/$$unit.tmp"; \
	    chmod 0644 "$(DESTDIR)$(UNITDIR)/$$unit.tmp"; \
	    mv "$(DESTDIR)$(UNITDIR)/$$unit.tmp" "$(DESTDIR)$(UNITDIR)/$$unit"; \
	done; \
	if [ -e "$(DESTDIR)$(SYSCONFDIR)/mailsrvd/mailsrvd.conf" ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/mailsrvd/mailsrvd.conf (the shipped one is $(DOCDIR)/mailsrvd.conf)"; \
	else \
	    install -m 0644 config/mailsrvd.conf "$(DESTDIR)$(SYSCONFDIR)/mailsrvd/mailsrvd.conf"; \
	fi; \
	install -m 0644 config/mailsrvd.conf "$(DESTDIR)$(DOCDIR)/mailsrvd.conf"; \
	install -m 0644 Sources/MailSRVInterface/io.mailsrvd.Discovery.varlink "$(DESTDIR)$(PREFIX)/share/varlink/"; \
	sed 's|/usr/local/|$(PREFIX)/|g' config/thunderbird-mailsrvd.js > "$(DESTDIR)$(DATADIR)/thunderbird-mailsrvd.js"; \
	chmod 0644 "$(DESTDIR)$(DATADIR)/thunderbird-mailsrvd.js"; \
	for page in "mailsrvd 8 the mail server discovery daemon (DNS SRV, Varlink)" \
	            "mailsrvctl 1 talk to mailsrvd from the command line"; do \
	    set -- $$page; tool=$$1; section=$$2; shift 2; \
	    { printf '%s(%s)\n\nNAME\n    %s - %s\n\nSYNOPSIS AND OPTIONS\n' \
	          "$$(echo $$tool | tr a-z A-Z)" "$$section" "$$tool" "$$*"; \
	      "$$bin/$$tool" --help | sed 's/^/    /'; \
	      printf '\nFILES\n    %s\n    %s\n    %s\n    %s\n    %s\n' \
	          "$(PREFIX)/bin/$$tool" "$(SYSCONFDIR)/mailsrvd/mailsrvd.conf, $(SYSCONFDIR)/mailsrvd/mailsrvd.conf.d/*.conf" \
	          "$(UNITDIR)/mailsrvd.service, $(UNITDIR)/mailsrvd.socket, $(UNITDIR)/mailsrvd-autoconfig.socket" \
	          "/run/mailsrvd/io.mailsrvd.Discovery, $(DATADIR)/thunderbird-mailsrvd.js" \
	          "$(PREFIX)/share/varlink/io.mailsrvd.Discovery.varlink"; \
	    } > "$(DESTDIR)$(DOCDIR)/$$tool.txt"; \
	    chmod 0644 "$(DESTDIR)$(DOCDIR)/$$tool.txt"; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; start with: systemctl enable --now mailsrvd.socket"

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl disable --now mailsrvd-autoconfig.socket mailsrvd.socket mailsrvd.service 2>/dev/null || true; \
	fi
	rm -f "$(DESTDIR)$(PREFIX)/bin/mailsrvd" "$(DESTDIR)$(PREFIX)/bin/mailsrvctl" \
	    $(addprefix "$(DESTDIR)$(UNITDIR)/,$(addsuffix ",$(UNITS))) \
	    "$(DESTDIR)$(PREFIX)/share/varlink/io.mailsrvd.Discovery.varlink" "$(DESTDIR)$(DATADIR)/thunderbird-mailsrvd.js"
	@conf="$(DESTDIR)$(SYSCONFDIR)/mailsrvd/mailsrvd.conf"; \
	if [ -e "$$conf" ]; then \
	    if cmp -s "$$conf" "$(DESTDIR)$(DOCDIR)/mailsrvd.conf" || cmp -s "$$conf" config/mailsrvd.conf; then \
	        rm -f "$$conf"; \
	    else \
	        echo "keeping $$conf: it was changed"; \
	    fi; \
	fi; \
	rmdir "$(DESTDIR)$(SYSCONFDIR)/mailsrvd" 2>/dev/null || true
	rm -rf "$(DESTDIR)$(DOCDIR)"
	rmdir "$(DESTDIR)$(PREFIX)/share/varlink" "$(DESTDIR)$(DATADIR)" 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# ---------------------------------------------------------------------------------------
# Reliability (RELIABILITY.md): libFuzzer targets and the load / hostile-clients soak.
#
#   make fuzz          build fuzz/ (.build-fuzz, ASan + libFuzzer), run each target FUZZ_SECONDS (600)
#                      or until FUZZ_RUNS executions, if set (make fuzz FUZZ_SECONDS=6000 FUZZ_RUNS=10000000)
#   make fuzz-smoke    the same, 30 s per target (CI)
#   make soak          mailsrvsoak: 1,000 connections + hostile clients, SOAK_SECONDS (120), then kill -9
#   make soak-smoke    the same, 20 s (CI)
FUZZ_SECONDS ?= 600
SOAK_SECONDS ?= 120
SOAK_CONNECTIONS ?= 1000

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
	ulimit -n $$(ulimit -Hn); "$$($(SWIFT) build --show-bin-path)/mailsrvsoak" --seconds $(SOAK_SECONDS) --connections $(SOAK_CONNECTIONS)

soak-smoke:
	$(MAKE) soak SOAK_SECONDS=20
