# mailsrvd — build, test and run.
#
#   make test     install missing Debian packages, build, run every test
#   make run      start the daemon for the current user (user socket, system resolver)
#   make build    debug build

SWIFT    ?= swift
PREFIX   ?= /usr/local
DESTDIR  ?=

# Debian packages the build and the tests need. libevent-dev: libunbound.pc requires it.
DEB_PACKAGES = python3 python3-pip pkg-config libunbound-dev libevent-dev libsystemd-dev libidn2-dev \
               knot knot-dnsutils socat

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

build: deps
	$(SWIFT) build

## run: mailsrvd for the current user: user socket ($$XDG_RUNTIME_DIR/mailsrvd, or /run/mailsrvd
## as root), the resolvers of /etc/resolv.conf, state and cache under the XDG directories.
run: build
	.build/debug/mailsrvd $(ARGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

clean:
	rm -rf .build

# ---------------------------------------------------------------------------------------
# make install / make uninstall (PREFIX, DESTDIR honoured)
#
#   $(PREFIX)/bin/mailsrvd, mailsrvctl    release build, Swift runtime linked statically
#                                          (the unit's DynamicUser cannot rely on /opt/swift)
#   $(UNITDIR)/mailsrvd.{service,socket}   ExecStart= and Documentation= follow PREFIX
#   $(SYSCONFDIR)/mailsrvd/mailsrvd.conf   only when there is none yet (never overwritten)
#   $(PREFIX)/share/varlink/io.mailsrvd.Discovery.varlink
#   $(PREFIX)/share/doc/mailsrvd/          mailsrvd.txt, mailsrvctl.txt (--help as a page),
#                                          mailsrvd.conf (the shipped config, for reference)
#
# `make uninstall` removes all of it except a config file that was changed after install
# (it is kept, and said so); the shipped one is removed. With no DESTDIR and systemd
# running, install reloads systemd and uninstall first disables and stops the units.
UNITDIR    ?= /etc/systemd/system
SYSCONFDIR ?= /etc
RELEASE    = $(SWIFT) build -c release --static-swift-stdlib
DOCDIR     = $(PREFIX)/share/doc/mailsrvd

.PHONY: install uninstall

install:
	$(RELEASE)
	@set -e; bin="$$($(RELEASE) --show-bin-path)"; \
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSCONFDIR)/mailsrvd" \
	    "$(DESTDIR)$(PREFIX)/share/varlink" "$(DESTDIR)$(DOCDIR)"; \
	install -m 0755 "$$bin/mailsrvd" "$$bin/mailsrvctl" "$(DESTDIR)$(PREFIX)/bin/"; \
	for unit in mailsrvd.service mailsrvd.socket; do \
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
	install -m 0644 Sources/MailSRVDaemon/io.mailsrvd.Discovery.varlink "$(DESTDIR)$(PREFIX)/share/varlink/"; \
	for page in "mailsrvd 8 the mail server discovery daemon (DNS SRV, Varlink)" \
	            "mailsrvctl 1 talk to mailsrvd from the command line"; do \
	    set -- $$page; tool=$$1; section=$$2; shift 2; \
	    { printf '%s(%s)\n\nNAME\n    %s - %s\n\nSYNOPSIS AND OPTIONS\n' \
	          "$$(echo $$tool | tr a-z A-Z)" "$$section" "$$tool" "$$*"; \
	      "$$bin/$$tool" --help | sed 's/^/    /'; \
	      printf '\nFILES\n    %s\n    %s\n    %s\n    %s\n    %s\n' \
	          "$(PREFIX)/bin/$$tool" "$(SYSCONFDIR)/mailsrvd/mailsrvd.conf, $(SYSCONFDIR)/mailsrvd/mailsrvd.conf.d/*.conf" \
	          "$(UNITDIR)/mailsrvd.service, $(UNITDIR)/mailsrvd.socket" "/run/mailsrvd/io.mailsrvd.Discovery" \
	          "$(PREFIX)/share/varlink/io.mailsrvd.Discovery.varlink"; \
	    } > "$(DESTDIR)$(DOCDIR)/$$tool.txt"; \
	    chmod 0644 "$(DESTDIR)$(DOCDIR)/$$tool.txt"; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; start with: systemctl enable --now mailsrvd.socket"

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl disable --now mailsrvd.socket mailsrvd.service 2>/dev/null || true; \
	fi
	rm -f "$(DESTDIR)$(PREFIX)/bin/mailsrvd" "$(DESTDIR)$(PREFIX)/bin/mailsrvctl" \
	    "$(DESTDIR)$(UNITDIR)/mailsrvd.service" "$(DESTDIR)$(UNITDIR)/mailsrvd.socket" \
	    "$(DESTDIR)$(PREFIX)/share/varlink/io.mailsrvd.Discovery.varlink"
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
	rmdir "$(DESTDIR)$(PREFIX)/share/varlink" 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
