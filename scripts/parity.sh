#!/usr/bin/env bash
# Checks that edgebench measures what llama.cpp's own llama-bench measures:
# builds llama-bench from the llama-cpp-python sdist (PyPI, vendor/llama.cpp),
# then runs both on each model, interleaved round by round so drift (heat,
# background load) hits both alike, and prints the medians side by side.
#
# usage: scripts/parity.sh [--rounds N] [--threads T] [MODEL.gguf...]
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

tools=$PWD/tools
bench=$tools/llama-bench-build/bin/llama-bench
if [ ! -x "$bench" ]; then
    echo "parity: building llama-bench from the llama-cpp-python sdist (~5 min)" >&2
    mkdir -p "$tools/sdist"
    python3 -m pip download -q --no-deps --no-binary :all: --disable-pip-version-check -d "$tools/sdist" llama-cpp-python
    tar -xzf "$(ls "$tools"/sdist/llama_cpp_python-*.tar.gz | tail -n1)" -C "$tools/sdist"
    src=$(ls -d "$tools"/sdist/llama_cpp_python-*/vendor/llama.cpp | tail -n1)
    # Same CPU features as edgebench's build (target-cpu=native => GGML_NATIVE=ON).
    cmake -S "$src" -B "$tools/llama-bench-build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
    cmake --build "$tools/llama-bench-build" --target llama-bench -j "$(nproc)" >/dev/null
fi
cargo build --release --locked -q
edgebench=$PWD/target/release/edgebench
out=$(mktemp -d)

for model in "${models[@]}"; do
    for round in $(seq 1 "$rounds"); do
        "$bench" -m "$model" -t "$threads" -p 512 -n 128 -r 5 -o json 2>/dev/null > "$out/lb-$(basename "$model")-$round.json"
        "$edgebench" run --model "$model" --suite engine-only --threads "$threads" --reps 5 --out "$out/eb" \
            2>/dev/null | sed -n 's/^results: //p' > "$out/eb-$(basename "$model")-$round.path"
    done
done

python3 - "$out" "$threads" "${models[@]}" <<'PY'
import csv, json, os, statistics, sys
out, threads, models = sys.argv[1], sys.argv[2], sys.argv[3:]
print(f"threads={threads}; medians of 5 reps per round; ratio = edgebench / llama-bench")
print(f"{'model':34} {'test':6} {'round':>5} {'llama-bench t/s':>16} {'edgebench t/s':>14} {'ratio':>7}")
for model in models:
    name = os.path.basename(model)
    per_test = {}
    r = 1
    while os.path.exists(f"{out}/lb-{name}-{r}.json"):
        for t in json.load(open(f"{out}/lb-{name}-{r}.json")):
            test = f"pp{t['n_prompt']}" if t["n_prompt"] else f"tg{t['n_gen']}"
            per_test.setdefault(test, []).append([statistics.median(t["samples_ts"]), None])
        run_dir = open(f"{out}/eb-{name}-{r}.path").read().strip()
        for row in csv.DictReader(open(os.path.join(run_dir, "summary.csv"))):
            if row["test"] in per_test and row["pp_tps_median" if row["test"].startswith("pp") else "tg_tps_median"]:
                key = "pp_tps_median" if row["test"].startswith("pp") else "tg_tps_median"
                per_test[row["test"]][r - 1][1] = float(row[key])
        r += 1
    for test, pairs in per_test.items():
        for i, (lb, eb) in enumerate(pairs, 1):
            print(f"{name:34} {test:6} {i:>5} {lb:16.1f} {eb:14.1f} {eb / lb:7.3f}")
        lb_all = statistics.median(p[0] for p in pairs)
        eb_all = statistics.median(p[1] for p in pairs)
        print(f"{name:34} {test:6} {'all':>5} {lb_all:16.1f} {eb_all:14.1f} {eb_all / lb_all:7.3f}  {'OK' if abs(eb_all / lb_all - 1) <= 0.05 else 'OUTSIDE 5%'}")
PY
