#!/bin/sh
# Builds the libFuzzer targets of fuzz/targets/ into .build-fuzz/bin/:
#   fuzz-varlink  fuzz-srv  fuzz-address  fuzz-json  fuzz-autoconfig
#
# 1. The package's modules (and their dependencies) are compiled by SwiftPM into the
#    separate scratch path .build-fuzz, release mode, with libFuzzer coverage and
#    AddressSanitizer; only targets, no linking. SwiftPM hands swiftc the two sanitizers
#    as two flags (-sanitize=fuzzer -sanitize=address), and swiftc keeps only the last:
#    the Swift modules got ASan but no coverage, so libFuzzer saw the edges of the target
#    file alone. -Xswiftc -sanitize=fuzzer,address comes after them and wins; the check
#    after the build makes sure the modules carry coverage counters.
# 2. Each target file is compiled with `swiftc -sanitize=fuzzer,address` against those
#    modules and linked with their object files (libFuzzer supplies main()).
#
# Works from a fresh clone: dependencies resolve like any `swift build` (SwiftPM's
# shared cache is used when the network is not there).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCRATCH="$ROOT/.build-fuzz"
SWIFT=${SWIFT:-swift}
CONF=${FUZZ_CONFIGURATION:-release}
SAN="--sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address"

for target in MailSRVDaemon NIOEmbedded; do
    $SWIFT build --scratch-path "$SCRATCH" -c "$CONF" $SAN --target "$target"
done
BIN=$($SWIFT build --scratch-path "$SCRATCH" -c "$CONF" --show-bin-path)
mkdir -p "$SCRATCH/bin"

# Clang modules the Swift modules import: SwiftPM's generated module maps, the system
# library shims, and include directories of the C targets.
CFLAGS=""
for map in $(find "$BIN" -maxdepth 2 -name module.modulemap) "$ROOT"/Sources/C*/module.modulemap; do
    CFLAGS="$CFLAGS -Xcc -fmodule-map-file=$map"
done
for inc in $(find "$ROOT/Sources" "$SCRATCH/checkouts" -type d -name include); do
    CFLAGS="$CFLAGS -Xcc -I$inc"
done
for pkg in libunbound libidn2 libsystemd; do
    CFLAGS="$CFLAGS $(pkg-config --cflags-only-I $pkg | sed 's/-I/-Xcc -I/g')"
done
LIBS="$(pkg-config --libs libunbound libidn2 libsystemd)"

# Object files of every library module built above (not executables, tests, plugins), in a
# response file: some have spaces in their names. A Swift object its module's output file
# map no longer names (its source was deleted since an earlier build) is left out.
find "$BIN" -path '*.build/*' -name '*.o' \
    | grep -v -e '/mailsrvd.build/' -e '/mailsrvctl.build/' -e 'Tests.build/' -e '/KnotHarness.build/' \
              -e '/mailsrvsoak.build/' -e '/mailsrvbench.build/' -e '\.product/' -e '-tool.build/' \
    | sort | while IFS= read -r object; do
        case "$object" in
        *.swift.o)
            map="${object%/*}/output-file-map.json"
            if [ -f "$map" ] && ! grep -qF "\"object\": \"$object\"" "$map"; then continue; fi ;;
        esac
        printf '"%s"\n' "$object"
    done > "$SCRATCH/objects.rsp"

# The modules under test must carry libFuzzer's coverage counters (see 1. above).
grep -e '/Varlink.build/' -e '/MailDiscovery.build/' -e '/Resolver.build/' "$SCRATCH/objects.rsp" | tr -d '"' \
    | while IFS= read -r object; do
        grep -q __sancov_cntrs "$object" || {
            echo "fuzz/build.sh: no libFuzzer coverage in $object (-sanitize=fuzzer lost)" >&2; exit 1; }
    done

for target in srv address varlink json autoconfig; do
    echo "linking $SCRATCH/bin/fuzz-$target"
    rm -f "$SCRATCH/bin/fuzz-$target"
    # shellcheck disable=SC2086
    swiftc -parse-as-library -O -g -sanitize=fuzzer,address -module-name "Fuzz_$target" \
        -I "$BIN/Modules" -I "$BIN" $CFLAGS \
        "$ROOT/fuzz/targets/$target.swift" @"$SCRATCH/objects.rsp" $LIBS \
        -o "$SCRATCH/bin/fuzz-$target" 2>&1 | grep -v "Cannot export local symbol" || true
done
for target in srv address varlink json autoconfig; do
    [ -x "$SCRATCH/bin/fuzz-$target" ] || { echo "fuzz/build.sh: linking fuzz-$target failed" >&2; exit 1; }
done
echo "built: $SCRATCH/bin/fuzz-srv fuzz-address fuzz-varlink fuzz-json fuzz-autoconfig"
