#!/usr/bin/env bash
# Builds the portable package (docs/build.md, "The portable package"):
#
#   dist/edgebench-<version>-<target>.tar.gz
#
# edgebench built with `--features portable` (llama-cpp-sys-2's dynamic-backends:
# llama.cpp as shared libraries, GGML_BACKEND_DL, GGML_CPU_ALL_VARIANTS), the
# llama.cpp libraries it links, every CPU variant but the AMX one, suites/,
# prompts/ and a README. At start the binary loads its backends from its own
# directory: ggml scores each CPU variant for the CPU and loads the best, and a
# GPU backend copied there (libggml-cuda.so, scripts/build-cuda-backend.sh) is
# loaded too. Nothing in the package needs a Rust toolchain.
#
# The Rust code is compiled for the architecture's baseline (RUSTFLAGS empty,
# overriding .cargo/config.toml's target-cpu=native: the binary must start on
# any CPU of its architecture), in its own target directory; RUSTFLAGS are part
# of every crate's fingerprint, so the first package build compiles everything
# (polars, llama.cpp with all its CPU variants) once, later ones only edgebench.
#
#   scripts/package.sh      # PACKAGE_TARGET_DIR (default target/portable), DIST (default dist)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${PACKAGE_TARGET_DIR:-target/portable}
dist=${DIST:-dist}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
target=$(rustc -vV | sed -n 's/^host: //p')
name=edgebench-$version-$target
release=$target_dir/release

echo "building edgebench --features portable into $target_dir (baseline $target, no target-cpu=native)"
RUSTFLAGS='' CARGO_TARGET_DIR=$target_dir nice -n 10 \
    cargo build --release --locked --features portable --bin edgebench

# llama-cpp-sys-2 installs the backend modules into OUT_DIR/backends
# (GGML_BACKEND_DIR; DEP_LLAMA_BACKENDS_DIR to its dependents): the newest build wins.
backends=$(ls -td "$release"/build/llama-cpp-sys-2-*/out/backends 2>/dev/null | head -1)
[ -n "$backends" ] && ls "$backends"/libggml-cpu-*.so >/dev/null 2>&1 || {
    echo "no CPU variant libraries under $release/build/llama-cpp-sys-2-*/out/backends" >&2
    exit 1
}
out=$(dirname "$backends")

stage=$dist/$name
rm -rf "$stage" "$stage.tar.gz"
mkdir -p "$stage"
cp "$release/edgebench" "$stage/"
strip "$stage/edgebench"

# The shared libraries the build made that an ELF file needs (libllama, libggml,
# libggml-base...), copied under their soname, and theirs in turn.
copy_needed() {
    local lib dir
    for lib in $(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        [ -e "$stage/$lib" ] && continue
        for dir in "$release" "$out/lib" "$out/lib64"; do
            if [ -e "$dir/$lib" ]; then
                cp -L "$dir/$lib" "$stage/$lib"
                copy_needed "$stage/$lib"
                break
            fi
        done
    done
}
copy_needed "$stage/edgebench"

# The CPU variants, except sapphirerapids: it is the one variant compiled with
# AMX (-mamx-tile -mamx-int8 come after the -mno-amx-* of CFLAGS, so they win),
# and on AMX Xeons ggml would pick it, and its AMX kernels fault at their first
# tile load on the cloud VMs we ran on (docs/build.md). Without it such a CPU
# gets zen4 (AVX-512, VBMI, VNNI, BF16): what the native build compiles there.
left_out=libggml-cpu-sapphirerapids.so
[ -e "$backends/$left_out" ] || { echo "expected $left_out in $backends (ggml's x86 variants changed?)" >&2; exit 1; }
for lib in "$backends"/libggml-*.so; do
    [ "$(basename "$lib")" = "$left_out" ] && continue
    cp -L "$lib" "$stage/"
    copy_needed "$stage/$(basename "$lib")"
done
# No AMX instruction anywhere in the package (the guard for the crash above);
# the left-out variant shows the check finds them.
has_amx() { # (a count, not grep -q: with pipefail, objdump's SIGPIPE would read as "none")
    [ "$(objdump -d --no-show-raw-insn "$1" |
        grep -cE '\s(ldtilecfg|tileloadd|tileloaddt1|tdpb[su][su]d|tdpbf16ps|tilestored|tilezero)\s')" -gt 0 ]
}
has_amx "$backends/$left_out" || { echo "no AMX instructions found in $left_out: the AMX check is blind" >&2; exit 1; }
for lib in "$stage"/edgebench "$stage"/*.so*; do
    if has_amx "$lib"; then
        echo "AMX instructions in $lib: the package would crash on AMX Xeons" >&2
        exit 1
    fi
done
strip --strip-unneeded "$stage"/*.so*

git ls-files -z suites prompts | xargs -0 -I{} cp --parents {} "$stage/"

# The newest glibc symbol version any file needs: the oldest system it runs on.
glibc=$(objdump -T "$stage"/edgebench "$stage"/*.so* 2>/dev/null |
    grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
variants=$(cd "$stage" && ls libggml-cpu-*.so | sed 's/libggml-cpu-\(.*\)\.so/\1/' | tr '\n' ' ')
cat > "$stage/README.txt" <<EOF
edgebench $version for $target: the portable build (docs/build.md in the source).

  ./edgebench doctor                      which backends and CPU variant were loaded, and why
  ./edgebench run --model MODEL.gguf      the default sweep (suites/ and prompts/ are beside the binary)

Needs only the system's C and C++ runtimes (${glibc:-glibc}, libstdc++, libgomp); no Rust toolchain.

CPU: llama.cpp's CPU backend is one library per instruction-set level
(libggml-cpu-<variant>.so: $variants). At start ggml scores each for this CPU and
loads the best; \`doctor\` shows the scores. The sapphirerapids variant (AMX) is left
out on purpose: its AMX kernels crash on some cloud Xeons; those CPUs get zen4.

GPU: to use an NVIDIA GPU, build libggml-cuda.so from the same llama.cpp sources on a
machine with nvcc and CMake (scripts/build-cuda-backend.sh ARCH in the source tree,
ARCH 87 for Jetson Orin, 90 for H100/H200) and copy it next to ./edgebench; then
\`./edgebench doctor\` lists CUDA among the backends and \`run --n-gpu-layers 999\` offloads.
EOF

tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"
echo "wrote $dist/$name.tar.gz ($(du -h "$dist/$name.tar.gz" | cut -f1); unpacked $(du -sh "$stage" | cut -f1))"
echo "  CPU variants: $variants(left out: sapphirerapids, AMX)"
echo "  needs ${glibc:-glibc ?}; check it with scripts/package-check.sh $dist/$name.tar.gz [MODEL.gguf]"
