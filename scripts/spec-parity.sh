#!/usr/bin/env bash
# Speculative decoding: edgebench's acceptance against llama.cpp's own, on the
# same pair, prompts and draft lengths. llama-server (built from the very
# llama.cpp edgebench links, scripts/llama-server.sh) runs each prompt of the
# speculative suite with `-md DRAFT --spec-type draft-simple --spec-draft-n-max N
# --spec-draft-n-min 0 --spec-draft-p-min 0` (the linked llama.cpp removed
# `--draft-max`/`--draft-min`)
# (greedy drafts of full length, as edgebench's) and reports `timings.draft_n`
# and `timings.draft_n_accepted`; edgebench runs the same in-process. Prints
# both acceptance rates per prompt and draft length; where both kept the
# target's own text they are compared. Then the test that holds every prompt:
# edgebench's draft replayed over llama-server's own tokens (`edgebench
# __spec-replay`: the run's loop and acceptance rule, the verification reading
# the server's next token), its draft cache filled as a run fills it and as
# llama-server fills it (`--server-batches`); the latter must be within the
# tolerance (default 10 points) of the server's on every prompt, else exit 1
# (measured: identical counts on all 10; docs/speculative.md).
# Speed-ups are printed too; take them on an otherwise idle machine only.
#
# usage: scripts/spec-parity.sh [--draft-max 4,8] [--tolerance 0.10] [--threads T] [--tokens 64]
#                              [--compare-only | --keep-run] [TARGET.gguf DRAFT.gguf]
# --keep-run: run llama-server and the replay again, keep edgebench's last in-process run.
set -euo pipefail
cd "$(dirname "$0")/.."
draft_max=4,8 tolerance=0.10 threads=$(nproc --all) compare_only=0 tokens=64 keep_run=0
target=models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
draft=models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
positional=()
while [ $# -gt 0 ]; do
    case $1 in
        --draft-max) draft_max=$2; shift 2 ;;
        --tolerance) tolerance=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --compare-only) compare_only=1; shift ;;
        --keep-run) keep_run=1; shift ;;
        --tokens) tokens=$2; shift 2 ;;
        *) positional+=("$1"); shift ;;
    esac
done
if [ ${#positional[@]} -eq 2 ]; then target=${positional[0]} draft=${positional[1]}; fi
server=${EDGEBENCH_LLAMA_SERVER:-$(scripts/llama-server.sh)}
[ "$compare_only" = 1 ] || cargo build --release --locked -q
# Kept after the run: the server's replies and edgebench's run, to read the
# texts (--compare-only compares them again without running anything).
out=target/spec-parity
port=$((20000 + RANDOM % 20000))
if [ "$compare_only" = 0 ]; then
if [ "$keep_run" = 1 ]; then rm -f "$out"/server-* "$out"/replay-*; else rm -rf "$out"; fi
mkdir -p "$out"
trap '[ -z "${pid:-}" ] || kill "$pid" 2>/dev/null || true' EXIT

# llama-server: one start per draft length, every prompt through it.
for n in ${draft_max//,/ }; do
    # --no-jinja: llama.cpp's built-in template, as edgebench renders in-process,
    # so both decode the same prompt tokens (the Jinja template adds a system turn).
    "$server" -m "$target" -md "$draft" --spec-type draft-simple --no-jinja \
        --spec-draft-n-max "$n" --spec-draft-n-min 0 --spec-draft-p-min 0 \
        -t "$threads" -td "$threads" -c 4096 -np 1 --host 127.0.0.1 --port "$port" \
        >"$out/server-$n.log" 2>&1 &
    pid=$!
    for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
    for prompt in prompts/spec-*.txt; do
        name=$(basename "$prompt" .txt)
        python3 - "$prompt" "$tokens" >"$out/request.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
# logprobs: the reply's token ids, for the replay on the same tokens.
print(json.dumps({"messages": [{"role": "user", "content": text}], "temperature": 0,
                  "max_tokens": int(sys.argv[2]), "ignore_eos": True, "cache_prompt": False,
                  "logprobs": True, "top_logprobs": 1}))
PY
        curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
            -d @"$out/request.json" >"$out/server-$n-$name.json"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done

# edgebench's draft over llama-server's own tokens: its loop and acceptance
# rule with the verification reading the server's next token, so both count
# acceptance over one text.
for n in ${draft_max//,/ }; do
    python3 - "$out" "$n" >"$out/replay-$n.in" <<'PY'
import glob, json, os, sys
out, n = sys.argv[1], sys.argv[2]
for path in sorted(glob.glob(f"{out}/server-{n}-*.json")):
    name = os.path.basename(path)[len(f"server-{n}-"):-len(".json")]
    reply = json.load(open(path))
    content = ((reply.get("choices") or [{}])[0].get("logprobs") or {}).get("content") or []
    tokens = [c["id"] for c in content if "id" in c]
    if tokens:
        print(json.dumps({"name": name, "prompt": open(f"prompts/{name}.txt").read(), "tokens": tokens}))
PY
    # Twice: the draft caching its tokens as a run does, and as llama-server
    # does (each verification batch decoded into the draft in one batch).
    for way in run server; do
        flag=; [ "$way" = server ] && flag=--server-batches
        target/release/edgebench __spec-replay --model "$target" --draft-model "$draft" \
            --draft-max "$n" --threads "$threads" $flag <"$out/replay-$n.in" \
            >"$out/replay-$way-$n.jsonl" 2>"$out/replay-$way-$n.log" ||
            { tail -5 "$out/replay-$way-$n.log"; echo "the replay failed (above)" >&2; exit 1; }
    done
done

# edgebench in-process: the same pair, prompts and draft lengths.
[ "$keep_run" = 1 ] && [ -f "$out/run.log" ] ||
target/release/edgebench run --model "$target" --draft-model "$draft" --draft-max "$draft_max" \
    --suite speculative --reps 1 --warmup 1 --threads "$threads" --e2e-tokens "$tokens" \
    --out "$out/runs" >"$out/run.log" 2>&1 || { tail -30 "$out/run.log"; echo "the sweep failed (above)" >&2; exit 1; }
fi
run=$(sed -n 's/^results: //p' "$out/run.log")

python3 - "$out" "$run" "$draft_max" "$tolerance" "$tokens" <<'PY'
import csv, json, sys
out, run, lengths, tolerance, tokens = sys.argv[1], sys.argv[2], sys.argv[3].split(","), float(sys.argv[4]), int(sys.argv[5])
ours = {(r["test"], r["draft_max"]): r for r in csv.DictReader(open(f"{run}/summary.csv")) if r.get("spec") == "draft"}
# The first repetition's text of each test and configuration, and where it ended.
texts = {}
for r in csv.DictReader(open(f"{run}/speed.csv")):
    texts.setdefault((r["test"], r["draft_max"]), r)
worst, compared = 0.0, 0
pooled = {"edgebench": [0, 0], "server": [0, 0]}
print(f"{'prompt':14} {'dmax':>4} {'edgebench acc':>13} {'server acc':>10} {'diff':>6}  texts")
for n in lengths:
    for (test, dmax), r in sorted(ours.items()):
        if dmax != n or not test.startswith("e2e:"):
            continue
        name = test[len("e2e:"):]
        try:
            reply = json.load(open(f"{out}/server-{n}-{name}.json"))
        except FileNotFoundError:
            reply = {}
        t = reply.get("timings", {})
        drafted, accepted = t.get("draft_n"), t.get("draft_n_accepted")
        server = accepted / drafted if drafted else None
        mine = float(r["acceptance_rate"]) if r["acceptance_rate"] else None
        if drafted:
            pooled["server"][0] += accepted; pooled["server"][1] += drafted
        if r["draft_n"]:
            pooled["edgebench"][0] += int(r["draft_accepted"]); pooled["edgebench"][1] += int(r["draft_n"])
        diff = abs(mine - server) if mine is not None and server is not None else None
        # Acceptance is a property of the text: compared only where both runs
        # produced the target's own text (edgebench's baseline, no draft). The
        # batched verification can leave it at a near tie, in llama-server as in
        # edgebench, each at its own token, and from there they measure
        # different texts.
        content = (reply.get("choices") or [{}])[0].get("message", {}).get("content") or ""
        base = texts.get((test, ""), {}).get("output_text", "")
        mine_text = texts.get((test, dmax), {}).get("output_text", "")
        ended = texts.get((test, dmax), {}).get("eos_at", "")
        ours_same, server_same = mine_text == base, bool(base) and content.startswith(base)
        if ended:
            # After the end token edgebench feeds it and goes on, llama-server's
            # ignore_eos masks it: the continuations differ.
            verdict = f"reply ends at token {ended}: not compared"
        elif ours_same and server_same:
            verdict = "both the target's own: compared"
            if diff is not None:
                worst, compared = max(worst, diff), compared + 1
        else:
            which = [w for w, same in (("edgebench", ours_same), ("llama-server", server_same)) if not same]
            verdict = f"{' and '.join(which)} left the target's text: not compared"
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}"
        print(f"{name:14} {n:>4} {fmt(mine):>13} {fmt(server):>10} {fmt(diff):>6}  {verdict}")
# On the same tokens: edgebench's draft over each llama-server reply, with
# the run's loop and acceptance rule. This holds every prompt to the
# tolerance: no near tie in the target can send the two down different
# texts. Filled as llama-server fills its draft's cache, the counts must be
# llama-server's (the gate); filled as a run fills it, the draft's own
# rounding can still flip a near tie (shown beside).
print()
print("on llama-server's own tokens: edgebench's replay, its draft cache filled as a run does / as llama-server does")
print(f"{'prompt':14} {'dmax':>4} {'run-cache':>10} {'server-cache':>12} {'server':>7} {'diff':>6}  accepted/drafted (run-cache, server-cache, server)")
same_worst, same_compared, run_worst = 0.0, 0, 0.0
def replays(way, n):
    try:
        return {r["name"]: r for r in map(json.loads, open(f"{out}/replay-{way}-{n}.jsonl"))}
    except FileNotFoundError:
        return {}
for n in lengths:
    run_way, server_way = replays("run", n), replays("server", n)
    for name, s in sorted(server_way.items()):
        t = json.load(open(f"{out}/server-{n}-{name}.json")).get("timings", {})
        drafted, accepted = t.get("draft_n"), t.get("draft_n_accepted")
        r = run_way.get(name)
        if not drafted or not s["drafted"] or not r or not r["drafted"]:
            continue
        server, mine, ours = accepted / drafted, s["accepted"] / s["drafted"], r["accepted"] / r["drafted"]
        same_worst, same_compared = max(same_worst, abs(mine - server)), same_compared + 1
        run_worst = max(run_worst, abs(ours - server))
        print(f"{name:14} {n:>4} {ours:>10.2f} {mine:>12.2f} {server:>7.2f} {abs(mine - server):>6.2f}  "
              f"{r['accepted']}/{r['drafted']}, {s['accepted']}/{s['drafted']}, {accepted}/{drafted}")
print(f"largest difference on the same tokens over {same_compared} prompts: {same_worst:.2f} "
      f"(draft cache as llama-server's); {run_worst:.2f} (as a run's)")
print()
for who, (a, d) in pooled.items():
    print(f"pooled over every prompt and length, {who}: {a}/{d} = {a / d:.2f}" if d else f"{who}: no draft counts")
print(f"largest difference in acceptance over {compared} compared: {worst:.2f} (tolerance {tolerance:.2f})")
sys.exit(1 if same_worst > tolerance or same_compared == 0 else 0)
PY
