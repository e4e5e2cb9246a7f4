#!/usr/bin/env bash
# What portability costs: pp512 and tg128 of the default models (SmolLM2-135M and
# Qwen2.5-Coder-0.5B, or the models given), the portable
# package against the native build (target-cpu=native, the default), run round
# by round (native, portable, native, ...) so drift hits both alike, on an idle
# machine. Prints per-round figures, the medians over rounds and portable/native,
# and which CPU variant the package chose against the native build's flags
# (docs/build.md, "What portability costs").
#
#   scripts/portable-cost.sh [--rounds N] [--threads T] [--reps R] [PACKAGE.tar.gz] [MODEL.gguf...]
#
# Needs target/release/edgebench (cargo build --release) and the package
# (scripts/package.sh; default: dist/edgebench-<version>-<target>.tar.gz).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 threads=$(nproc --all) reps=5 package='' models=()
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --reps) reps=$2; shift 2 ;;
        *.tar.gz) package=$1; shift ;;
        *) models+=("$1"); shift ;;
    esac
done
[ ${#models[@]} -gt 0 ] || models=(models/SmolLM2-135M-Instruct-Q4_1.gguf models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf)
if [ -z "$package" ]; then
    version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
    package=dist/edgebench-$version-$(rustc -vV | sed -n 's/^host: //p').tar.gz
fi
native=$PWD/target/release/edgebench
[ -x "$native" ] || { echo "$native missing: cargo build --release (or cargo test --release --no-run)" >&2; exit 2; }
[ -f "$package" ] || { echo "$package missing: run scripts/package.sh" >&2; exit 2; }

out=$(mktemp -d /tmp/edgebench-portable-cost.XXXXXX)
trap 'rm -rf "$out"' EXIT
tar -xzf "$package" -C "$out"
portable=$(ls -d "$out"/edgebench-*/)edgebench
echo "native:   $("$native" doctor 2>/dev/null | sed -n 's/^  ggml-cpu flags: //p')"
echo "portable: $("$portable" doctor 2>/dev/null | sed -n 's/^  CPU variant: //p')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (run this on an idle machine)"

run() { # kind edgebench model round
    "$2" run --model "$3" --suite engine-only --threads "$threads" --reps "$reps" --out "$out/$1" 2>/dev/null |
        sed -n 's/^results: //p' > "$out/$1-$(basename "$3")-$4.path"
}
for round in $(seq 1 "$rounds"); do
    for model in "${models[@]}"; do
        run native "$native" "$model" "$round"
        run portable "$portable" "$model" "$round"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out" "$threads" "$reps" "${models[@]}" <<'PY'
import csv, os, statistics, sys
out, threads, reps, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def figures(path_file):
    run_dir = open(path_file).read().strip()
    rows = csv.DictReader(open(os.path.join(run_dir, "summary.csv")))
    return {r["test"]: float(r["pp_tps_median" if r["test"].startswith("pp") else "tg_tps_median"]) for r in rows}
print(f"threads={threads}; per round the median of {reps} reps; 'all' = median over rounds")
print(f"{'model':34} {'test':6} {'round':>5} {'native t/s':>11} {'portable t/s':>13} {'portable/native':>16}")
for model in models:
    name = os.path.basename(model)
    rounds, r = [], 1
    while os.path.exists(f"{out}/native-{name}-{r}.path"):
        rounds.append((figures(f"{out}/native-{name}-{r}.path"), figures(f"{out}/portable-{name}-{r}.path")))
        r += 1
    for test in ("pp512", "tg128"):
        pairs = [(n[test], p[test]) for n, p in rounds]
        for i, (n, p) in enumerate(pairs, 1):
            print(f"{name:34} {test:6} {i:>5} {n:11.1f} {p:13.1f} {p / n:16.3f}")
        n, p = statistics.median(x[0] for x in pairs), statistics.median(x[1] for x in pairs)
        flag = "" if p / n >= 0.97 else "  more than 3% slower"
        print(f"{name:34} {test:6} {'all':>5} {n:11.1f} {p:13.1f} {p / n:16.3f}{flag}")
PY
