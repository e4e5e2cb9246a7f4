#!/usr/bin/env bash
# One GGUF in-process and through llama-server (built from the same llama.cpp by
# scripts/llama-server.sh, started by the sweep): the user path's decode rate
# and time to first token side by side, per prompt and over all prompts.
# Then the server at concurrency 1, 2 and 4 (aggregate output rate, per-reply
# TTFT and 50-token latency). Exits 1 when the server's single-stream decode
# rate is not within 10% of in-process. Run it on an otherwise idle machine.
#
# usage: scripts/served-vs-inprocess.sh [--reps N] [--threads T] [MODEL.gguf]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=5 threads=$(nproc --all) model=models/SmolLM2-135M-Instruct-Q4_1.gguf
while [ $# -gt 0 ]; do
    case $1 in
        --reps) reps=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) model=$1; shift ;;
    esac
done
server=$(scripts/llama-server.sh)
cargo build --release --locked -q
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
model=$(realpath "$model")
cat > "$out/sweep.toml" <<TOML
reps = $reps
warmup = 1
suites = ["speed"]
[params]
threads = [$threads]
n_ctx = 2048
pp = [64]
tg = [16]
concurrency = [1, 2, 4]
[[candidate]]
name = "in-process"
path = "$model"
[[candidate]]
name = "llama-server"
engine = "openai"
path = "$model"
model = "served"
server_kind = "llama-server"
# llama-server divides -c among its -np slots: 4 slots of 2048, as in-process.
[candidate.server]
command = ["$server", "-m", "{model}", "--host", "{host}", "--port", "{port}",
           "-t", "{threads}", "-tb", "{threads}", "-c", "$((2048 * 4))", "--alias", "served", "-np", "{parallel}"]
TOML
target/release/edgebench run --config "$out/sweep.toml" --out "$out/runs" >"$out/run.log" 2>&1 || { tail -30 "$out/run.log"; echo "the sweep failed (above)" >&2; }
run=$(sed -n 's/^results: //p' "$out/run.log")
python3 - "$run/summary.csv" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["test"].startswith("e2e:")]
by = {}
for r in rows:
    by.setdefault(r["test"], {})[r["candidate"]] = r
print(f"{'prompt':28} {'tg in-proc':>10} {'tg server':>10} {'ratio':>6} {'TTFT in-proc':>12} {'TTFT server':>11} {'diff ms':>8}")
ratios, ttft_diffs, tg = [], [], {"in-process": [], "llama-server": []}
for test, pair in sorted(by.items()):
    a, b = pair["in-process"], pair["llama-server"]
    if not (a["tg_tps_median"] and b["tg_tps_median"]):
        print(f"{test[4:32]:28} failed: {a['error'] or b['error']}")
        continue
    ta, tb = float(a["tg_tps_median"]), float(b["tg_tps_median"])
    fa, fb = float(a["ttft_ms_median"]), float(b["ttft_ms_median"])
    ratios.append(tb / ta); ttft_diffs.append(fb - fa)
    tg["in-process"].append(ta); tg["llama-server"].append(tb)
    print(f"{test[4:32]:28} {ta:10.1f} {tb:10.1f} {tb / ta:6.3f} {fa:12.1f} {fb:11.1f} {fb - fa:8.1f}")
ratio = statistics.median(ratios)
ok = abs(ratio - 1) <= 0.10
print(f"median over prompts: tg in-process {statistics.median(tg['in-process']):.1f} t/s, "
      f"server {statistics.median(tg['llama-server']):.1f} t/s, ratio {ratio:.3f} "
      f"({'within' if ok else 'OUTSIDE'} 10%); TTFT overhead {statistics.median(ttft_diffs):+.1f} ms")
levels = {}
for r in csv.DictReader(open(sys.argv[1])):
    test = r["test"]
    if r["candidate"] == "llama-server" and test.startswith("conc"):
        level = int(test[4:].split(":")[0])
        levels.setdefault(level, []).append(r)
print(f"{'streams':>7} {'aggregate t/s':>13} {'TTFT p50 ms':>11} {'50-tok p50 ms':>13} {'requests':>8}")
for level, rs in sorted(levels.items()):
    agg = [r for r in rs if ":" not in r["test"]]
    replies = [r for r in rs if ":" in r["test"]]
    med = lambda col: statistics.median(float(r[col]) for r in replies if r[col]) if replies else float("nan")
    total = agg[0]["tg_tps_median"] if agg else "?"
    n = sum(int(r["n"]) for r in replies)
    print(f"{level:>7} {float(total):13.1f} {med('ttft_ms_median'):11.1f} {med('latency_50_ms_median'):13.1f} {n:>8}")
sys.exit(0 if ok else 1)
PY
