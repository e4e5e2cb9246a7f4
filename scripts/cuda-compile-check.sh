#!/usr/bin/env bash
# Checks, on a machine without a GPU or a CUDA install, that llama.cpp's CUDA
# sources compile for Orin (sm_87) and Hopper (sm_90): NVIDIA's compiler and
# headers come from CUDA 13's PyPI wheels (nvidia-cuda-nvcc, -cuda-crt, -nvvm,
# -cuda-runtime, -cuda-cccl, -cublas; the CUDA 12 nvcc wheels hold only ptxas,
# no nvcc) into a scratch directory, and a few small ggml-cuda files are
# compiled to object files, niced. Not the whole of ggml-cuda: that takes hours
# on 2 cores (docs/build.md). Not run in CI.
#
#   scripts/cuda-compile-check.sh [FILE.cu ...]   # default: arange.cu scale.cu
set -euo pipefail

scratch=${CUDA_CHECK_DIR:-/tmp/edgebench-cuda13}
cuda_version=${CUDA_WHEEL_VERSION:-13.*}
llama=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/llama-cpp-sys-2-0.1.161/llama.cpp 2>/dev/null | head -1)
[ -d "$llama" ] || { echo "llama-cpp-sys-2's sources not found: run cargo build once" >&2; exit 2; }
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(arange.cu scale.cu)

cuda=$scratch/nvidia/cu13   # the wheels share this toolkit layout: bin/, include/, nvvm/
if [ ! -x "$cuda/bin/nvcc" ]; then
  echo "installing the CUDA compiler and headers (PyPI wheels) into $scratch"
  python3 -m pip install --quiet --no-deps --target "$scratch" \
    "nvidia-cuda-nvcc==$cuda_version" "nvidia-cuda-crt==$cuda_version" "nvidia-nvvm==$cuda_version" \
    "nvidia-cuda-runtime==$cuda_version" "nvidia-cuda-cccl==$cuda_version" "nvidia-cublas==$cuda_version"
fi
nvcc=$cuda/bin/nvcc
"$nvcc" --version | tail -2
includes=(-I"$cuda/include" -I"$cuda/include/cccl"
  -I"$llama/ggml/include" -I"$llama/ggml/src" -I"$llama/ggml/src/ggml-cuda")
out=$scratch/obj
mkdir -p "$out"
for arch in 87 90; do
  for file in "${files[@]}"; do
    start=$(date +%s.%N)
    nice -n 19 "$nvcc" -std=c++17 -O3 -arch=sm_$arch -DGGML_USE_CUDA -DNDEBUG \
      "${includes[@]}" -c "$llama/ggml/src/ggml-cuda/$file" -o "$out/${file%.cu}.sm_$arch.o"
    end=$(date +%s.%N)
    printf 'sm_%s %-12s %6.1f s  %s bytes\n' "$arch" "$file" "$(echo "$end - $start" | bc)" \
      "$(stat -c %s "$out/${file%.cu}.sm_$arch.o")"
  done
done
