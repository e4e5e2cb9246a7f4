#!/usr/bin/env bash
# Speculative decoding: edgebench's acceptance against llama.cpp's own, on the
# same pair, prompts and draft lengths. llama-server (built from the very
# llama.cpp edgebench links, scripts/llama-server.sh) runs each prompt of the
# speculative suite with `-md DRAFT --draft-max N --draft-min 0 --draft-p-min 0`
# (greedy drafts of full length, as edgebench's) and reports `timings.draft_n`
# and `timings.draft_n_accepted`; edgebench runs the same in-process. Prints
# both acceptance rates per prompt and draft length, and exits 1 when one
# differs by more than the tolerance (default 10 points: the two run the same
# model code, but llama-server's chat template rendering and its batch
# composition can shift a near tie). Speed-ups are printed too; take them on
# an otherwise idle machine only.
#
# usage: scripts/spec-parity.sh [--draft-max 4,8] [--tolerance 0.10] [--threads T] [TARGET.gguf DRAFT.gguf]
set -euo pipefail
cd "$(dirname "$0")/.."
draft_max=4,8 tolerance=0.10 threads=$(nproc --all)
target=models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
draft=models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
positional=()
while [ $# -gt 0 ]; do
    case $1 in
        --draft-max) draft_max=$2; shift 2 ;;
        --tolerance) tolerance=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) positional+=("$1"); shift ;;
    esac
done
if [ ${#positional[@]} -eq 2 ]; then target=${positional[0]} draft=${positional[1]}; fi
server=${EDGEBENCH_LLAMA_SERVER:-$(scripts/llama-server.sh)}
cargo build --release --locked -q
out=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$out"' EXIT
tokens=64 port=$((20000 + RANDOM % 20000))

# llama-server: one start per draft length, every prompt through it.
for n in ${draft_max//,/ }; do
    "$server" -m "$target" -md "$draft" --draft-max "$n" --draft-min 0 --draft-p-min 0 \
        -t "$threads" -td "$threads" -c 4096 -np 1 --host 127.0.0.1 --port "$port" \
        >"$out/server-$n.log" 2>&1 &
    pid=$!
    for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
    for prompt in prompts/spec-*.txt; do
        name=$(basename "$prompt" .txt)
        python3 - "$prompt" "$tokens" >"$out/request.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
print(json.dumps({"messages": [{"role": "user", "content": text}], "temperature": 0,
                  "max_tokens": int(sys.argv[2]), "ignore_eos": True, "cache_prompt": False}))
PY
        curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
            -d @"$out/request.json" >"$out/server-$n-$name.json"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done

# edgebench in-process: the same pair, prompts and draft lengths.
target/release/edgebench run --model "$target" --draft-model "$draft" --draft-max "$draft_max" \
    --suite speculative --reps 1 --warmup 1 --threads "$threads" --e2e-tokens "$tokens" \
    --out "$out/runs" >"$out/run.log" 2>&1 || { tail -30 "$out/run.log"; echo "the sweep failed (above)" >&2; exit 1; }
run=$(sed -n 's/^results: //p' "$out/run.log")

python3 - "$out" "$run/summary.csv" "$draft_max" "$tolerance" <<'PY'
import csv, json, sys
out, summary, lengths, tolerance = sys.argv[1], sys.argv[2], sys.argv[3].split(","), float(sys.argv[4])
ours = {(r["test"], r["draft_max"]): r for r in csv.DictReader(open(summary)) if r.get("spec") == "draft"}
worst, rows = 0.0, []
print(f"{'prompt':14} {'dmax':>4} {'edgebench acc':>13} {'server acc':>10} {'diff':>6} {'edgebench 50-tok speed-up':>25}")
for n in lengths:
    for (test, dmax), r in sorted(ours.items()):
        if dmax != n or not test.startswith("e2e:"):
            continue
        name = test[len("e2e:"):]
        try:
            t = json.load(open(f"{out}/server-{n}-{name}.json")).get("timings", {})
        except FileNotFoundError:
            t = {}
        drafted, accepted = t.get("draft_n"), t.get("draft_n_accepted")
        server = accepted / drafted if drafted else None
        mine = float(r["acceptance_rate"]) if r["acceptance_rate"] else None
        diff = abs(mine - server) if mine is not None and server is not None else None
        if diff is not None:
            worst = max(worst, diff)
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}"
        print(f"{name:14} {n:>4} {fmt(mine):>13} {fmt(server):>10} {fmt(diff):>6} {r['latency_50_speedup'] or 'n/a':>25}")
print(f"largest difference in acceptance: {worst:.2f} (tolerance {tolerance:.2f})")
sys.exit(1 if worst > tolerance else 0)
PY
