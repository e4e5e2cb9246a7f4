# Sourced by the scripts that build llama.cpp's own tools (parity.sh,
# llama-server.sh): the C/C++ flags edgebench's llama.cpp is built with, the
# llama.cpp sources of the pinned llama-cpp-sys-2 crate, and the pinned
# llama-cpp-python sdist from PyPI, whose vendor/llama.cpp has the tools'
# sources (the crate ships the libraries but not tools/server or llama-bench).
# Expects to run from the repository root; sets `tools`.
tools=$PWD/tools
mkdir -p "$tools"

SDIST_VERSION=0.3.36
SDIST_SHA=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e

# The flags cargo's [env] in .cargo/config.toml gives llama.cpp (unless the
# environment overrides them, as cargo does): the same kernels (AMX left out
# by default, docs/build.md). Sets cflags, cxxflags, flags_id.
llama_flags() {
    config_flag() { sed -n "s/^$1 *= *\"\(.*\)\"/\1/p" .cargo/config.toml; }
    if [ "$(uname -m)" = x86_64 ]; then
        cflags=${CFLAGS_x86_64_unknown_linux_gnu-$(config_flag CFLAGS_x86_64_unknown_linux_gnu)}
        cxxflags=${CXXFLAGS_x86_64_unknown_linux_gnu-$(config_flag CXXFLAGS_x86_64_unknown_linux_gnu)}
    else
        cflags='' cxxflags=''
    fi
    flags_id=$(printf '%s|%s' "$cflags" "$cxxflags" | sha256sum | cut -c1-8)
}

# Prints the sdist's vendor/llama.cpp, fetching and checking it the first time.
sdist_llama_src() {
    local dir=$tools/sdist tarball=$tools/sdist/llama_cpp_python-$SDIST_VERSION.tar.gz
    if [ ! -d "$dir/llama_cpp_python-$SDIST_VERSION/vendor/llama.cpp" ]; then
        mkdir -p "$dir"
        python3 -m pip download -q --no-deps --no-binary :all: --disable-pip-version-check \
            -d "$dir" "llama-cpp-python==$SDIST_VERSION" >&2
        if [ "$(sha256sum "$tarball" | cut -d' ' -f1)" != "$SDIST_SHA" ]; then
            echo "llama-cpp-python $SDIST_VERSION sdist: sha256 mismatch (damaged download?)" >&2
            rm -f "$tarball"
            return 1
        fi
        tar -xzf "$tarball" -C "$dir"
    fi
    echo "$dir/llama_cpp_python-$SDIST_VERSION/vendor/llama.cpp"
}

# Prints the llama.cpp directory of the llama-cpp-sys-2 crate Cargo.lock pins.
crate_llama_src() {
    cargo metadata --format-version 1 --locked 2>/dev/null | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "llama-cpp-sys-2":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "llama.cpp"))'
}

# Copies the crate's llama.cpp sources ($1) to $3 without what a CUDA build
# never reads (other GPU backends, Python, tests), with llama-bench's source
# from the sdist ($2) grafted in: tools/ then builds only llama-bench.
stage_cuda_sources() {
    local crate=$1 sdist=$2 dest=$3
    [ -f "$sdist/tools/llama-bench/llama-bench.cpp" ] || { echo "no llama-bench in $sdist" >&2; return 1; }
    mkdir -p "$dest"
    tar -C "$crate" -cf - \
        --exclude=./ggml/src/ggml-vulkan --exclude=./ggml/src/ggml-sycl --exclude=./ggml/src/ggml-opencl \
        --exclude=./ggml/src/ggml-hexagon --exclude=./ggml/src/ggml-metal --exclude=./ggml/src/ggml-cann \
        --exclude=./ggml/src/ggml-webgpu --exclude=./ggml/src/ggml-openvino --exclude=./ggml/src/ggml-et \
        --exclude=./ggml/src/ggml-virtgpu --exclude=./ggml/src/ggml-zdnn --exclude=./ggml/src/ggml-zendnn \
        --exclude=./ggml/src/ggml-cpu/spacemit --exclude=./ggml/src/ggml-cpu/kleidiai \
        --exclude=./gguf-py --exclude=./docs --exclude=./examples --exclude=./pocs --exclude=./tests \
        --exclude=./ci --exclude=./convert_hf_to_gguf.py . | tar -C "$dest" -xf -
    rm -rf "$dest/tools"
    mkdir -p "$dest/tools/llama-bench"
    cp -r "$sdist/tools/llama-bench/." "$dest/tools/llama-bench/"
    echo 'add_subdirectory(llama-bench)' > "$dest/tools/CMakeLists.txt"
    echo "llama.cpp of $(basename "$(dirname "$crate")"); tools/llama-bench from llama-cpp-python $SDIST_VERSION's sdist" \
        > "$dest/SOURCES.txt"
}
