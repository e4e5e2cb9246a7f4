#!/usr/bin/env bash
# Checks that edgebench measures what llama.cpp's own llama-bench measures.
#
# Two llama-bench builds, both from the pinned llama-cpp-python sdist on PyPI:
#   same  llama-bench's source compiled against the very llama.cpp sources edgebench
#         links (from the pinned llama-cpp-sys-2 crate): any difference is the harness.
#   sdist llama-bench as shipped in the sdist (vendor/llama.cpp): a different llama.cpp
#         commit, so differences also include llama.cpp's own changes.
# Runs llama-bench (same), edgebench and llama-bench (sdist) in turn, round by round,
# so drift (heat, background load) hits all alike, and prints the medians.
#
# --depth D[,D..] runs every test on top of D tokens in the cache as well
# (llama-bench -d; the tests are then named pp512@dD, tg128@dD).
#
# usage: scripts/parity.sh [--rounds N] [--threads T] [--depth D[,D..]] [--same-only] [MODEL.gguf...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 threads=$(nproc --all) depth=0 sdist=1 models=()
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --depth) depth=$2; shift 2 ;;
        --same-only) sdist=0; shift ;; # skip the sdist's llama-bench (a third of the time)
        *) models+=("$1"); shift ;;
    esac
done
[ ${#models[@]} -gt 0 ] || models=(models/gemma-3-270m-Q4_K_M.gguf models/SmolLM2-135M-Instruct-Q4_1.gguf)

. scripts/lib/llama-sources.sh
llama_flags
echo "parity: llama.cpp flags: GGML_NATIVE=ON CFLAGS='$cflags' CXXFLAGS='$cxxflags'" >&2
build_bench() { # name source-dir
    local build=$tools/llama-bench-$1-$flags_id
    if [ ! -x "$build/bin/llama-bench" ]; then
        echo "parity: building llama-bench ($1), ~5 min" >&2
        # Same CPU features as edgebench's build (target-cpu=native => GGML_NATIVE=ON).
        cmake -S "$2" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
            -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cxxflags" \
            -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
        cmake --build "$build" --target llama-bench -j "$(nproc)" >/dev/null
    fi
    [ -L "$tools/llama-bench-$1" ] || rm -rf "$tools/llama-bench-$1"
    ln -sfn "$build" "$tools/llama-bench-$1"
    echo "parity: llama-bench ($1) ggml-cpu flags: $(sed -n 's/^CXX_FLAGS = //p' "$build/ggml/src/CMakeFiles/ggml-cpu.dir/flags.make")" >&2
}

sdist_src=$(sdist_llama_src)
build_bench sdist "$sdist_src"

# The crate ships llama.cpp's library sources but not its tools: graft llama-bench in.
cargo build --release --locked -q
crate_src=$(crate_llama_src)
if [ ! -d "$tools/llama-cpp-same" ]; then
    cp -r "$crate_src" "$tools/llama-cpp-same"
    cp -r "$sdist_src/tools/llama-bench/." "$tools/llama-cpp-same/tools/llama-bench/"
    echo 'add_subdirectory(llama-bench)' > "$tools/llama-cpp-same/tools/CMakeLists.txt"
    sed -i 's/^\(\s*\)add_subdirectory(app)/\1# no app sources in the crate/' "$tools/llama-cpp-same/CMakeLists.txt"
fi
build_bench same "$tools/llama-cpp-same"
echo "parity: edgebench ggml-cpu flags: $("$PWD/target/release/edgebench" doctor 2>/dev/null | sed -n 's/^  ggml-cpu flags: //p')" >&2

edgebench=$PWD/target/release/edgebench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for model in "${models[@]}"; do
    name=$(basename "$model")
    for round in $(seq 1 "$rounds"); do
        "$tools/llama-bench-same/bin/llama-bench" -m "$model" -t "$threads" -p 512 -n 128 -d "$depth" -r 5 -o json 2>/dev/null > "$out/same-$name-$round.json"
        "$edgebench" run --model "$model" --suite engine-only --threads "$threads" --depth "$depth" --reps 5 --out "$out/eb" \
            2>/dev/null | sed -n 's/^results: //p' > "$out/eb-$name-$round.path"
        [ $sdist = 0 ] || "$tools/llama-bench-sdist/bin/llama-bench" -m "$model" -t "$threads" -p 512 -n 128 -d "$depth" -r 5 -o json 2>/dev/null > "$out/sdist-$name-$round.json"
    done
done

python3 - "$out" "$threads" "$depth" "${models[@]}" <<'PY'
import csv, json, os, statistics, sys
out, threads, depths, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
med = statistics.median
def named(base, depth):
    return base if depth == 0 else f"{base}@d{depth}"
def llama_bench(path):
    return {named(f"pp{t['n_prompt']}" if t["n_prompt"] else f"tg{t['n_gen']}", t.get("n_depth", 0)): med(t["samples_ts"])
            for t in json.load(open(path))}
def edgebench(path_file):
    run_dir = open(path_file).read().strip()
    rows = csv.DictReader(open(os.path.join(run_dir, "summary.csv")))
    return {r["test"]: float(r["pp_tps_median"] if r["test"].startswith("pp") else r["tg_tps_median"]) for r in rows}
print(f"threads={threads}; per round the median of 5 reps; 'all' = median over rounds")
print(f"{'model':34} {'test':12} {'round':>5} {'lb-same t/s':>12} {'edgebench':>10} {'lb-sdist':>9} {'eb/same':>8} {'eb/sdist':>8}")
failed = False
for model in models:
    name = os.path.basename(model)
    rounds = []
    r = 1
    while os.path.exists(f"{out}/same-{name}-{r}.json"):
        sdist = f"{out}/sdist-{name}-{r}.json"
        rounds.append((llama_bench(f"{out}/same-{name}-{r}.json"), edgebench(f"{out}/eb-{name}-{r}.path"),
                       llama_bench(sdist) if os.path.exists(sdist) and os.path.getsize(sdist) else {}))
        r += 1
    for test in [named(t, int(d)) for d in depths.split(",") for t in ("pp512", "tg128")]:
        rows = [(s[test], e[test], d.get(test, float("nan"))) for s, e, d in rounds]
        for i, (s, e, d) in enumerate(rows, 1):
            print(f"{name:34} {test:12} {i:>5} {s:12.1f} {e:10.1f} {d:9.1f} {e / s:8.3f} {e / d:8.3f}")
        s, e, d = (med(x[k] for x in rows) for k in range(3))
        ok = abs(e / s - 1) <= 0.05
        failed |= not ok
        print(f"{name:34} {test:12} {'all':>5} {s:12.1f} {e:10.1f} {d:9.1f} {e / s:8.3f} {e / d:8.3f}  {'within 5%' if ok else 'OUTSIDE 5%'}")
sys.exit(1 if failed else 0)
PY
