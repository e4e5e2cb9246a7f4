#!/usr/bin/env bash
# Agreement of edgebench's BFCL verdicts with bfcl-eval's own AST checker, per category.
#
#   scripts/bfcl-agreement.sh [--model GGUF]... [--run DIR]... [--sample N] [--out DIR] [--bar 0.99]
#
# Three sets of answers, each scored by edgebench (`edgebench __score-answers`) and by
# bfcl-eval (scripts/bfcl_agreement.py, the checker imported from the pinned wheel):
#   rules      hand-made answers, one per rule (scripts/bfcl-rules/)
#   synthetic  answers built from every BFCL v4 possible answer, right and mutated
#   model      a real model's answers on a sample (--model, repeatable)
#   run        the BFCL answers stored in a run directory (--run, repeatable), e.g. of
#              `edgebench run --suite bfcl-50`
# Exits non-zero when a category agrees on less than the bar; prints the agreement last.
set -euo pipefail
cd "$(dirname "$0")/.."

models=() runs=() sample=10 out=target/bfcl-agreement bar=0.99
while [ $# -gt 0 ]; do
    case $1 in
        --model) models+=("$2"); shift 2 ;;
        --run) runs+=("$2"); shift 2 ;;
        --sample) sample=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --bar) bar=$2; shift 2 ;;
        *) echo "usage: $0 [--model GGUF]... [--run DIR]... [--sample N] [--out DIR] [--bar 0.99]" >&2; exit 2 ;;
    esac
done
say() { printf 'bfcl-agreement: %s\n' "$*" >&2; }
bfcl=tools/bfcl-eval-2026.3.23
[ -d "$bfcl" ] || { say "$bfcl missing: run scripts/setup.sh"; exit 2; }
nice -n 10 cargo build --release --locked -q
eb=target/release/edgebench
mkdir -p "$out"
sets=()

score() { # label suite answers.jsonl
    "$eb" __score-answers --suite "$2" < "$3" > "$out/$1-verdicts.jsonl"
    sets+=(--set "$1" "$2" "$out/$1-verdicts.jsonl")
}

"$eb" import bfcl --from scripts/bfcl-rules --any-version --out "$out/bfcl-rules.toml" > /dev/null
score rules "$out/bfcl-rules.toml" scripts/bfcl-rules/answers.jsonl

"$eb" import bfcl --from "$bfcl" --out "$out/bfcl-all.toml" > /dev/null
python3 scripts/bfcl_synthetic_answers.py "$out/bfcl-all.toml" > "$out/synthetic-answers.jsonl"
score synthetic "$out/bfcl-all.toml" "$out/synthetic-answers.jsonl"

answers_of_runs() { # native|prompt run dirs... -> their BFCL answers as {"case_id", "text", "decoding"} lines
    python3 - "$@" <<'PY'
import csv, json, sys
csv.field_size_limit(1 << 30)
want_native = sys.argv[1] == "native"
for run in sys.argv[2:]:
    for row in csv.DictReader(open(f"{run}/quality.csv", newline="")):
        native = row.get("decoding") == "native"
        if row["status"] == "ok" and row["suite"].startswith("bfcl") and native == want_native:
            print(json.dumps({"case_id": row["case_id"], "text": row["output_text"],
                              "decoding": row.get("decoding", "free")}))
PY
}

if [ ${#runs[@]} -gt 0 ]; then
    # Every BFCL case id is the release's, so the full import scores any sample of it.
    # Answers through an API's tools field (decoding native) are their own set.
    answers_of_runs prompt "${runs[@]}" > "$out/run-answers.jsonl"
    [ ! -s "$out/run-answers.jsonl" ] || score run "$out/bfcl-all.toml" "$out/run-answers.jsonl"
    answers_of_runs native "${runs[@]}" > "$out/run-native-answers.jsonl"
    [ ! -s "$out/run-native-answers.jsonl" ] || score run-native "$out/bfcl-all.toml" "$out/run-native-answers.jsonl"
fi

if [ ${#models[@]} -gt 0 ]; then
    "$eb" import bfcl --from "$bfcl" --sample "$sample" --out "$out/bfcl-sample.toml" > /dev/null
    model_args=()
    for m in "${models[@]}"; do model_args+=(--model "$m"); done
    rm -rf "$out/runs" && mkdir -p "$out/runs"
    say "running ${#models[@]} model(s) on $sample cases per category"
    "$eb" run "${model_args[@]}" --suite "$out/bfcl-sample.toml" --out "$out/runs" >&2 || true
    answers_of_runs prompt "$out"/runs/*/ > "$out/model-answers.jsonl"
    score model "$out/bfcl-sample.toml" "$out/model-answers.jsonl"
fi

python3 scripts/bfcl_agreement.py --bfcl "$bfcl" --bar "$bar" --json "$out/agreement.json" "${sets[@]}"
