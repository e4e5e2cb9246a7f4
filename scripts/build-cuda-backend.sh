#!/usr/bin/env bash
# Builds llama.cpp's CUDA backend, libggml-cuda.so, for one GPU architecture,
# from the very llama.cpp sources edgebench links, as a backend module
# (GGML_BACKEND_DL) that the portable edgebench loads at start: copy it next to
# the package's `edgebench` (docs/build.md, docs/jetson.md). Needs nvcc (a CUDA
# toolkit) and CMake >= 3.18; no Rust.
#
#   scripts/build-cuda-backend.sh ARCH [OUT_DIR]
#
#   ARCH      CMAKE_CUDA_ARCHITECTURES: 87 Jetson Orin, 90 H100/H200, 89 L4/RTX 40xx,
#             86 A10/RTX 30xx, 80 A100. `nvidia-smi --query-gpu=compute_cap
#             --format=csv,noheader` gives it (8.7 -> 87); Jetsons have no nvidia-smi.
#   OUT_DIR   where libggml-cuda.so is copied (default: the current directory).
#
# Environment:
#   LLAMA_SRC          the llama.cpp sources. Default: the pinned llama-cpp-sys-2
#                      crate's (found with cargo); without Rust, the llama.cpp/ of
#                      the gpu-check inputs (scripts/gpu-check-inputs.sh).
#   CUDA_BUILD_DIR     the CMake build directory (default /tmp/edgebench-cuda-sm_ARCH).
#   WITH_LLAMA_BENCH=1 also build llama-bench (CUDA, same sources; its CPU backend
#                      is not built: it loads the package's CPU variants).
#   CUDA_CMAKE_ARGS    more CMake options, e.g. -DGGML_CUDA_NO_VMM=ON for 8 GB Orins.
#   JOBS               parallel compile jobs (default: nproc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=${1:-}
out_dir=${2:-$PWD}
case $arch in
    [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][a-z] | [1-9][0-9][0-9][a-z]) ;;
    *)
        echo "usage: $0 ARCH [OUT_DIR]   (ARCH: 87 Orin, 90 H100/H200, ...; got '${arch}')" >&2
        exit 2
        ;;
esac

nvcc=$(command -v nvcc || true)
[ -n "$nvcc" ] || for dir in ${CUDA_HOME:-} ${CUDA_PATH:-} /usr/local/cuda; do
    [ -x "$dir/bin/nvcc" ] && nvcc=$dir/bin/nvcc && break
done
if [ -z "$nvcc" ]; then
    echo "no nvcc: a CUDA toolkit is needed to build libggml-cuda.so (put its bin/ on PATH or set CUDA_HOME;" >&2
    echo "on a Jetson it is /usr/local/cuda from JetPack)" >&2
    exit 3
fi
command -v cmake >/dev/null || { echo "no cmake: CMake >= 3.18 is needed" >&2; exit 3; }

src=${LLAMA_SRC:-}
if [ -z "$src" ]; then
    command -v cargo >/dev/null || {
        echo "set LLAMA_SRC to the llama.cpp sources (no cargo here to find the pinned crate's)" >&2
        exit 2
    }
    src=$(cd "$here/.." && . scripts/lib/llama-sources.sh && crate_llama_src)
fi
[ -f "$src/ggml/src/ggml-cuda/CMakeLists.txt" ] || { echo "$src: not llama.cpp's sources (no ggml/src/ggml-cuda)" >&2; exit 2; }
bench=OFF
if [ "${WITH_LLAMA_BENCH:-0}" = 1 ]; then
    [ -f "$src/tools/llama-bench/llama-bench.cpp" ] || {
        echo "$src has no tools/llama-bench sources (the crate ships none: use the gpu-check inputs)" >&2
        exit 2
    }
    bench=ON
fi

build=${CUDA_BUILD_DIR:-/tmp/edgebench-cuda-sm_$arch}
echo "building libggml-cuda.so for sm_$arch with $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/CUDA \1/p')"
echo "  sources $src, build $build$([ $bench = OFF ] || echo ', with llama-bench')"
# GGML_BACKEND_DL: a module loaded at run time (ggml_backend_init exported).
# GGML_CPU=OFF: the CPU backend comes from the package's variants.
# GGML_NATIVE=OFF: nothing here may depend on this machine's CPU.
# GGML_CUDA_FA_ALL_QUANTS=OFF (the default) keeps flash attention to the common
# K/V types; NCCL is for multi-GPU only.
# shellcheck disable=SC2086
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="$arch" \
    -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_CPU=OFF -DGGML_NATIVE=OFF \
    -DGGML_CUDA=ON -DGGML_CUDA_FA_ALL_QUANTS=OFF -DGGML_CUDA_NCCL=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_COMMON=$bench -DLLAMA_BUILD_TOOLS=$bench \
    ${CUDA_CMAKE_ARGS:-} > "$build.configure.log" 2>&1 || {
    tail -30 "$build.configure.log" >&2
    echo "CMake configure failed (log: $build.configure.log)" >&2
    exit 1
}
targets=(ggml-cuda)
[ $bench = OFF ] || targets+=(llama-bench)
start=$(date +%s)
cmake --build "$build" --target "${targets[@]}" -j "${JOBS:-$(nproc)}" > "$build.build.log" 2>&1 || {
    grep -E 'error|Error' "$build.build.log" | head -20 >&2
    echo "build failed (log: $build.build.log)" >&2
    exit 1
}
lib=$(find "$build" -name libggml-cuda.so -type f | head -1)
[ -n "$lib" ] || { echo "built, but no libggml-cuda.so under $build" >&2; exit 1; }
mkdir -p "$out_dir"
cp "$lib" "$out_dir/"
echo "built $out_dir/libggml-cuda.so ($(du -h "$lib" | cut -f1)) in $(($(date +%s) - start)) s"
[ $bench = OFF ] || echo "built $build/bin/llama-bench"
