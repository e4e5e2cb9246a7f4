#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has nvcc and
# CMake but no Rust and no network, into one tarball of at most 60 MiB:
#
#   dist/gpu-check-inputs.tar.gz  ->  gpu-check/
#     gpu-check.sh, build-cuda-backend.sh   the check and the CUDA backend build
#     edgebench-<version>-<target>.tar.gz   the portable package (scripts/package.sh)
#     llama.cpp/                            the llama.cpp sources edgebench links (the
#                                           pinned llama-cpp-sys-2 crate's), with
#                                           llama-bench's source grafted in from the pinned
#                                           llama-cpp-python sdist (as scripts/parity.sh),
#                                           other GPU backends' sources left out
#     tokenizer.gguf                        a vocab-only GGUF (edgebench synth --vocab-only)
#                                           for the synthetic model
#
# On the GPU machine: tar -xzf gpu-check-inputs.tar.gz && gpu-check/gpu-check.sh
#
#   scripts/gpu-check-inputs.sh [TOKENIZER_SOURCE.gguf]   (default: models/SmolLM2-135M-Instruct-Q4_1.gguf)
set -euo pipefail
cd "$(dirname "$0")/.."
limit_mib=60
tokenizer_source=${1:-models/SmolLM2-135M-Instruct-Q4_1.gguf}
[ -f "$tokenizer_source" ] || { echo "$tokenizer_source: no such GGUF (scripts/setup.sh fetches the default models)" >&2; exit 2; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
target=$(rustc -vV | sed -n 's/^host: //p')
package=dist/edgebench-$version-$target.tar.gz
[ -f "$package" ] || { echo "$package missing: run scripts/package.sh first" >&2; exit 2; }

. scripts/lib/llama-sources.sh
crate_src=$(crate_llama_src)
sdist_src=$(sdist_llama_src)

stage=$(mktemp -d /tmp/edgebench-gpu-check-inputs.XXXXXX)
trap 'rm -rf "$stage"' EXIT
dir=$stage/gpu-check
mkdir -p "$dir"
cp scripts/gpu-check.sh scripts/build-cuda-backend.sh "$package" "$dir/"

stage_cuda_sources "$crate_src" "$sdist_src" "$dir/llama.cpp"

# The tokenizer for the synthetic model, written by the packaged binary itself.
pkg_dir=$stage/pkg
mkdir -p "$pkg_dir"
tar -xzf "$package" -C "$pkg_dir"
"$pkg_dir"/edgebench-*/edgebench synth --vocab-only --tokenizer-from "$tokenizer_source" \
    --out "$dir/tokenizer.gguf" >/dev/null
rm -rf "$pkg_dir"

cat > "$dir/README.txt" <<EOF
edgebench GPU check (docs/build.md, "The GPU check"): on a machine with an NVIDIA GPU,
nvcc and CMake (no Rust, no network needed):

  gpu-check/gpu-check.sh

It builds libggml-cuda.so and llama-bench for the local GPU from llama.cpp/, writes a
~0.5B-parameter synthetic model, runs edgebench's sweep at --n-gpu-layers 0,999 with
the NVML sampler and llama-bench on the same model, and prints one summary.
EOF

mkdir -p dist
out=dist/gpu-check-inputs.tar.gz
tar -C "$stage" -czf "$out.tmp" gpu-check
mv "$out.tmp" "$out"
bytes=$(stat -c %s "$out")
echo "wrote $out: $((bytes / 1048576)) MiB ($bytes bytes; limit $limit_mib MiB)"
for part in "$dir"/*; do printf '  %-48s %s\n' "$(basename "$part")" "$(du -sh "$part" | cut -f1)"; done
[ "$bytes" -le $((limit_mib * 1048576)) ] || { echo "over the $limit_mib MiB limit" >&2; exit 1; }
