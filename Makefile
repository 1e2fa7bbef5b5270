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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

clean:
	rm -rf .build
