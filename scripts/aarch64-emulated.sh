#!/usr/bin/env bash
# An Orin NX sweep without an Orin: edgebench cross-compiled for aarch64, with
# llama.cpp's kernels for the Orin's Cortex-A78AE (dot product, fp16), run under
# qemu-user on SmolLM2 with a fake Orin NX sysfs tree (EDGEBENCH_SYSFS_ROOT) and a
# fake tegrastats (--tegrastats). Checks that the Jetson sampler is the
# one chosen, that memory is reported as unified, that power, temperature and
# J/token are filled, and that the report uses the Orin NX profile.
#
#   scripts/aarch64-emulated.sh [--out DIR]     (default target/aarch64-emulated/check)
#
# Needs root (or sudo) once: apt packages, and registering qemu-aarch64 with
# binfmt_misc, since the sweep re-executes itself for every measuring child.
# Takes ~30 min from a fresh clone on 2 cores (the cross build), ~10 min after.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/aarch64-emulated/check
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: $0 [--out DIR]" >&2; exit 2 ;;
    esac
done
TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu
step() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'aarch64-emulated: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_tools() {
    local need=()
    command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
    command -v aarch64-linux-gnu-g++ >/dev/null || need+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu)
    [ -d "$SYSROOT/include" ] || need+=(libc6-dev-arm64-cross)
    if [ ${#need[@]} -gt 0 ]; then
        step "installing ${need[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
}

# llama-cpp-sys-2 cross-compiles llama.cpp through CMake; the compiler wrapper
# (scripts/lib/orin-cross-cc) makes it build for the Orin's CPU.
cross_build() {
    step "cross-compiling edgebench for $TARGET (llama.cpp for cortex-a78ae)"
    local t; t=$(date +%s)
    env CARGO_TARGET_DIR="$root/target/aarch64-emulated" \
        CC_aarch64_unknown_linux_gnu="$root/scripts/lib/orin-cross-cc" \
        CXX_aarch64_unknown_linux_gnu="$root/scripts/lib/orin-cross-c++" \
        AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-cpu=cortex-a78ae" \
        CMAKE_SYSTEM_NAME=Linux CMAKE_SYSTEM_PROCESSOR=aarch64 \
        cargo build --release --locked --target "$TARGET" --bin edgebench
    step "cross build: $(($(date +%s) - t)) s"
}

# The kernel runs the aarch64 children through qemu (the 'F' flag opens the
# interpreter now, so it also works from other mount namespaces).
register_binfmt() {
    local dir=/proc/sys/fs/binfmt_misc
    [ -e "$dir/qemu-aarch64" ] && return
    [ -e "$dir/register" ] || as_root mount -t binfmt_misc binfmt_misc "$dir" ||
        die "binfmt_misc is not available here (a container without it?): children cannot be run under qemu"
    local magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    local mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    step "registering $(command -v qemu-aarch64) for aarch64 executables (binfmt_misc)"
    printf ':qemu-aarch64:M::%s:%s:%s:F' "$magic" "$mask" "$(command -v qemu-aarch64)" |
        as_root tee "$dir/register" >/dev/null
}

# A Jetson Orin NX 16 GB on JetPack 6 as edgebench reads it: L4T release, device
# tree, thermal zones, the GPU's devfreq node, the ina3221 rails.
fake_orin_nx() { # dir
    local t=$1
    put() { mkdir -p "$(dirname "$t/$1")" && printf '%b' "$2" > "$t/$1"; }
    put etc/nv_tegra_release '# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64\n'
    put proc/device-tree/model 'NVIDIA Jetson Orin NX Engineering Reference Developer Kit\0'
    put proc/device-tree/compatible 'nvidia,p3768-0000+p3767-0000\0nvidia,p3767-0000\0nvidia,tegra234\0'
    local i=0 zone
    for zone in cpu-thermal:51250 gpu-thermal:48500 soc0-thermal:49000 tj-thermal:52125; do
        put "sys/class/thermal/thermal_zone$i/type" "${zone%%:*}\n"
        put "sys/class/thermal/thermal_zone$i/temp" "${zone##*:}\n"
        i=$((i + 1))
    done
    local gpu=sys/class/devfreq/17000000.ga10b
    put "$gpu/cur_freq" '918000000\n'
    put "$gpu/min_freq" '918000000\n'
    put "$gpu/max_freq" '918000000\n'
    put "$gpu/device/load" '612\n'
    local hw=sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1
    put "$hw/name" 'ina3221\n'
    put "$hw/in1_label" 'VDD_IN\n'; put "$hw/in1_input" '5016\n'; put "$hw/curr1_input" '2010\n'
    put "$hw/in2_label" 'VDD_CPU_GPU_CV\n'; put "$hw/in2_input" '5000\n'; put "$hw/curr2_input" '820\n'
}

# tegrastats as JetPack 6 prints it on an Orin NX, a line per --interval ms,
# the module drawing 11.5 W (VDD_IN); distinct from the sysfs rails' 10.1 W, so
# the check can tell which source filled the columns.
fake_tegrastats() { # path
    cat > "$1" <<'EOF'
#!/usr/bin/env bash
interval=1000
while [ $# -gt 0 ]; do
    case $1 in --interval) interval=$2; shift 2 ;; *) shift ;; esac
done
sleep_s=$(awk -v ms="$interval" 'BEGIN { printf "%.3f", ms / 1000 }')
n=0
while :; do
    n=$((n + 1))
    ram=$((3012 + n % 7))
    echo "RAM ${ram}/15656MB (lfb 1796x4MB) SWAP 0/7828MB (cached 0MB) CPU [63%@1984,58%@1984,off,off,off,off,off,off] EMC_FREQ 12%@3199 GR3D_FREQ 0%@[918,918] NVENC off NVDEC off VIC off APE 174 cpu@52.5C soc2@48.125C soc0@48.812C gpu@47.968C tj@52.593C soc1@48.281C VDD_IN 11500mW/11200mW VDD_CPU_GPU_CV 4100mW/4000mW VDD_SOC 2300mW/2300mW" || exit 0
    sleep "$sleep_s"
done
EOF
    chmod +x "$1"
}

# Three short cases of quality-basic: enough to run the quality path, short
# enough for an emulated CPU.
short_quality_suite() { # path
    cat > "$1" <<'EOF'
name = "emulated-quality"
kind = "quality"
description = "three quality-basic cases, for the emulated aarch64 run"
max_tokens = 24
temperature = 0.0
seed = 42
use_chat_template = true

[[case]]
id = "reasoning.add"
category = "reasoning"
prompt = "What is 47 + 38? Answer with the number only."
checks = [{ type = "number", value = 85 }]

[[case]]
id = "knowledge.capital-france"
category = "knowledge"
prompt = "What is the capital of France? Answer with one word."
checks = [{ type = "contains", value = "Paris" }]

[[case]]
id = "format.yes-no"
category = "format"
prompt = "Is water wet? Answer only yes or no."
checks = [{ type = "regex", pattern = "(?i)^\\s*(yes|no)\\b" }]
EOF
}

install_tools
scripts/setup.sh
cross_build # cargo rebuilds only what changed
exe=$root/target/aarch64-emulated/$TARGET/release/edgebench
file -b "$exe" | grep -q 'ARM aarch64' || die "$exe is not an aarch64 executable"
register_binfmt
export QEMU_LD_PREFIX=$SYSROOT

rm -rf "$out"
mkdir -p "$out/bin"
fake_orin_nx "$out/orin-nx"
fake_tegrastats "$out/bin/tegrastats"
short_quality_suite "$out/emulated-quality.toml"

step "doctor under qemu"
EDGEBENCH_SYSFS_ROOT=$out/orin-nx \
    "$exe" doctor --tegrastats "$out/bin/tegrastats" | tee "$out/doctor.txt"

step "sweep under qemu: SmolLM2, engine-only pp64/tg16 and three quality cases"
t=$(date +%s)
EDGEBENCH_SYSFS_ROOT=$out/orin-nx \
    "$exe" run --tegrastats "$out/bin/tegrastats" --out "$out/results" --model models/SmolLM2-135M-Instruct-Q4_1.gguf \
    --suite engine-only --suite "$out/emulated-quality.toml" \
    --pp 64 --tg 16 --reps 2 --warmup 0 --threads 2 --ctx 512 --sample-ms 100 \
    --cooldown-max 0 2>&1 | tee "$out/run.log"
run_s=$(($(date +%s) - t))
run_dir=$(find "$out/results" -mindepth 1 -maxdepth 1 -type d | head -1)
[ -n "$run_dir" ] || die "no run directory under $out/results"

step "report"
"$exe" report "$run_dir" > "$out/report.log" 2>&1 || { cat "$out/report.log"; die "report failed"; }

step "checks"
python3 scripts/aarch64_emulated_check.py "$run_dir" "$exe"
echo "aarch64-emulated: ok; sweep under qemu ${run_s} s; run directory $run_dir"
