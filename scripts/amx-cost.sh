#!/usr/bin/env bash
# What leaving llama.cpp's AMX kernels out (.cargo/config.toml, docs/build.md) costs
# on this machine. llama-bench from the very llama.cpp edgebench links, built twice:
#   default   edgebench's flags (-march=native -mno-amx-*)
#   amx       -march=native alone (AMX kernels compiled where the CPU has AMX)
# and run on the same models, round by round, as `default`, `amx` and `amx --repack 0`
# (without the extra buffers the AMX kernels are not used). A build that crashes is
# reported as such. It also says whether the two builds' CPU kernels differ at all.
#
# usage: scripts/amx-cost.sh [--rounds N] [--threads T] [MODEL.gguf...]
# Needs tools/llama-cpp-same from scripts/parity.sh (run that first).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 threads=$(nproc --all) models=()
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) models+=("$1"); shift ;;
    esac
done
[ ${#models[@]} -gt 0 ] || models=(models/gemma-3-270m-Q4_K_M.gguf models/SmolLM2-135M-Instruct-Q4_1.gguf)
src=$PWD/tools/llama-cpp-same
[ -d "$src" ] || { echo "amx-cost: $src missing: run scripts/parity.sh first" >&2; exit 1; }
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"

build() { # name flags
    local dir=$PWD/tools/amx-cost-$1
    if [ ! -x "$dir/bin/llama-bench" ]; then
        echo "amx-cost: building llama-bench ($1: '$2'), ~5 min" >&2
        cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
            -DCMAKE_C_FLAGS="$2" -DCMAKE_CXX_FLAGS="$2" \
            -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
        cmake --build "$dir" --target llama-bench -j "$(nproc)" >/dev/null
    fi
}
# parity.sh's "same" build already has the default flags: reuse it.
same=$PWD/tools/llama-bench-same
if [ ! -e "$PWD/tools/amx-cost-default" ] && grep -q -- '-mno-amx-int8' "$same/ggml/src/CMakeFiles/ggml-cpu.dir/flags.make" 2>/dev/null; then
    ln -sfn "$(readlink -f "$same")" "$PWD/tools/amx-cost-default"
fi
build default "$no_amx"
build amx ""

kernels() { objdump -d --no-show-raw-insn "$(find "$PWD/tools/amx-cost-$1/" -name 'libggml-cpu.a' | head -n1)" | grep -v -e 'file format' -e '^In archive'; }
if cmp -s <(kernels default) <(kernels amx); then
    echo "CPU kernels (libggml-cpu.a machine code): identical in both builds: AMX changes nothing on this CPU"
else
    echo "CPU kernels (libggml-cpu.a machine code): differ between the builds"
fi
amx_flags=$( (grep -o 'amx[a-z0-9_]*' /proc/cpuinfo || true) | sort -u | tr '\n' ' ')
echo "CPU AMX flags: ${amx_flags:-none}"
echo "CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bench() { # variant model round extra...
    local variant=$1 model=$2 round=$3; shift 3
    local bin=$PWD/tools/amx-cost-${variant%%-*}/bin/llama-bench
    "$bin" -m "$model" -t "$threads" -p 512 -n 128 -r 5 -o json "$@" \
        > "$out/$variant-$(basename "$model")-$round.json" 2> "$out/$variant.err" || true
}
for model in "${models[@]}"; do
    for round in $(seq 1 "$rounds"); do
        bench default "$model" "$round"
        bench amx "$model" "$round"
        bench amx-norepack "$model" "$round" --repack 0
    done
done

python3 - "$out" "$rounds" "${models[@]}" <<'PY'
import json, os, statistics, sys
out, rounds, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
variants = ["default", "amx", "amx-norepack"]
def load(path):
    try:
        return {(f"pp{t['n_prompt']}" if t["n_prompt"] else f"tg{t['n_gen']}"): statistics.median(t["samples_ts"])
                for t in json.load(open(path))}
    except (OSError, ValueError, KeyError):
        return None  # crashed or printed nothing
print(f"median t/s over {rounds} rounds (each the median of 5 reps)")
print(f"{'model':34} {'test':6} " + " ".join(f"{v:>13}" for v in variants) + "  default/best-working")
for model in models:
    name = os.path.basename(model)
    for test in ("pp512", "tg128"):
        cells = []
        for v in variants:
            runs = [load(f"{out}/{v}-{name}-{r}.json") for r in range(1, rounds + 1)]
            ok = [r[test] for r in runs if r and test in r]
            cells.append(statistics.median(ok) if len(ok) == rounds else None)
        working = [c for c in cells if c is not None]
        ratio = f"{cells[0] / max(working):.3f}" if cells[0] and working else "-"
        shown = " ".join(f"{c:13.1f}" if c is not None else f"{'crashed':>13}" for c in cells)
        print(f"{name:34} {test:6} {shown}  {ratio}")
PY
