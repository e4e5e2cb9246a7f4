#!/usr/bin/env bash
# Checks a portable package the way a machine without Rust uses it: unpacked
# in an empty directory and run with a bare environment (env -i
# PATH=/usr/bin:/bin: no cargo, no rustc, no LD_LIBRARY_PATH), `doctor` must
# name the portable build, the CPU variant ggml chose and the backend
# libraries, with no AMX variant among them; with a model, a sweep runs from
# another directory (suites/ and prompts/ come from beside the binary) and its
# manifest.json records the same build kind and variant.
#
#   scripts/package-check.sh dist/edgebench-*.tar.gz [MODEL.gguf [SUITE]]
#
# SUITE: a suite name for a shorter sweep (engine-only); default: the default sweep.
# Prints the unpacked directory last (PACKAGE_CHECK_KEEP=1 keeps it).
set -euo pipefail
tarball=$(realpath "${1:?usage: $0 PACKAGE.tar.gz [MODEL.gguf [SUITE]]}")
model=${2:+$(realpath "$2")}
suite=${3:-}
fail() { echo "package check FAILED: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/edgebench-package-check.XXXXXX)
[ "${PACKAGE_CHECK_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
pkg=$(ls -d "$work"/edgebench-*/)
pkg=${pkg%/}
bare() { env -i HOME="$work" PATH=/usr/bin:/bin "$@"; }
! bare sh -c 'command -v cargo || command -v rustc' >/dev/null || fail "a Rust toolchain is on the bare PATH"

doctor=$(cd "$pkg" && bare ./edgebench doctor) || fail "doctor exited $?: $doctor"
echo "$doctor" | sed -n '/^llama.cpp build/,$p'
echo "$doctor" | grep -q '^llama.cpp build (.*): portable$' || fail "doctor does not say portable"
variant=$(echo "$doctor" | sed -n 's/^  CPU variant: \([^ ]*\).*/\1/p')
[ -n "$variant" ] && [ "$variant" != none ] || fail "doctor names no CPU variant"
echo "$doctor" | grep -q "^  backends registered: .*CPU" || fail "no CPU backend registered"
echo "$doctor" | grep -q "libggml-cpu-$variant.so" || fail "libggml-cpu-$variant.so not among the libraries"
! echo "$doctor" | grep -q sapphirerapids || fail "the AMX variant is in the package"
echo "$doctor" | grep -q '^  no  AMX kernels compiled' || fail "AMX kernels compiled"
echo "package: doctor ok (CPU variant $variant)"

# Without its CPU libraries the binary says so in one line, and does not crash.
cp -r "$pkg" "$work/no-cpu"
rm "$work"/no-cpu/libggml-cpu-*.so
missing=$(cd "$work" && bare "$work/no-cpu/edgebench" doctor 2>&1) || fail "doctor without CPU libraries exited $?"
echo "$missing" | grep -q "^llama.cpp build: could not be loaded: .*no CPU backend (libggml-cpu-\*.so) in $work/no-cpu" ||
    fail "doctor without CPU libraries does not say what is missing: $(echo "$missing" | tail -1)"
echo "package: without its CPU libraries: $(echo "$missing" | sed -n 's/^llama.cpp build: //p' | cut -c1-90)..."

[ -n "$model" ] || { echo "(no model given: no sweep)"; exit 0; }
mkdir "$work/elsewhere"
args=(run --model "$model" --out "$work/results")
[ -z "$suite" ] || args+=(--suite "$suite")
(cd "$work/elsewhere" && bare "$pkg/edgebench" "${args[@]}") > "$work/run.log" 2>&1 ||
    { tail -20 "$work/run.log"; fail "the sweep exited $?"; }
tail -8 "$work/run.log"
manifest=$(ls -d "$work"/results/*/)manifest.json
python3 - "$manifest" "$variant" <<'EOF' || fail "manifest check"
import json, sys
m = json.load(open(sys.argv[1]))
b = m["llama_cpp"]["backends"]
assert b["build_kind"] == "portable", b
assert b["cpu_variant"] == sys.argv[2], (b["cpu_variant"], sys.argv[2])
assert "portable" in m["edgebench"]["features"], m["edgebench"]["features"]
print(f"manifest: build_kind {b['build_kind']}, cpu_variant {b['cpu_variant']}, "
      f"registered {b['registered']}, {len(b['libraries'])} libraries")
EOF
echo "package: sweep ok in $work"
