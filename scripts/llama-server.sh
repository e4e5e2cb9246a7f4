#!/usr/bin/env bash
# Builds llama-server from the very llama.cpp edgebench links, and prints its path.
#
# The llama-cpp-sys-2 crate ships llama.cpp's libraries but not tools/server:
# the server's sources (and common/, mtmd, the vendored HTTP library) come
# from the pinned llama-cpp-python sdist, built on the crate's own src/,
# include/ and ggml/ (the model code and kernels that are measured), with the
# flags edgebench's build uses. Cached under tools/; ~10 min the first time
# on 2 cores. Used by scripts/test.sh for the end-to-end server test
# (tests/served_llama_server.rs) and by people measuring llama-server
# against in-process (docs/engines.md).
#
# usage: scripts/llama-server.sh        prints tools/llama-server-<flags>/bin/llama-server
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/llama-sources.sh
llama_flags
build=$tools/llama-server-$flags_id
if [ ! -x "$build/bin/llama-server" ]; then
    sdist=$(sdist_llama_src)
    crate=$(crate_llama_src)
    [ -d "$crate" ] || { echo "llama-server.sh: llama-cpp-sys-2's sources not found (run cargo fetch)" >&2; exit 1; }
    src=$tools/llama-server-src
    rm -rf "$src" "$build"
    cp -r "$sdist" "$src"
    for part in src include ggml; do
        rm -rf "${src:?}/$part"
        cp -r "$crate/$part" "$src/$part"
    done
    echo "llama-server.sh: building llama-server (crate's llama.cpp, sdist $SDIST_VERSION's server), ~10 min" >&2
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
        -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cxxflags" \
        -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
        -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >"$build.log" 2>&1 \
        && cmake --build "$build" --target llama-server -j "$(nproc)" >>"$build.log" 2>&1 \
        || { echo "llama-server.sh: build failed; the end of $build.log:" >&2; tail -20 "$build.log" >&2; exit 1; }
fi
echo "$build/bin/llama-server"
