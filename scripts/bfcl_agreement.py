"""Scores answers edgebench has scored with bfcl-eval's own AST checker and reports
how often the two verdicts agree, per BFCL category.

bfcl-eval's checker (bfcl_eval/eval_checker/ast_eval/ast_checker.py) is imported
from the unpacked wheel as is. Its only heavy import, the model registry
(constants/model_config.py, which pulls every provider SDK), is replaced by a stub
that says no model renames dotted function names: edgebench's models see the names
as BFCL wrote them. The relevance rules of eval_runner.py / utils.py (whose module
needs `filelock`) are restated below, line for line.

Input: --set LABEL SUITE.toml VERDICTS.jsonl, repeatable, where each verdict line
is what `edgebench __score-answers` prints: case_id, pass and the calls edgebench
parsed ([{name: {arg: value}}], or null when the answer held no call).
"""
import argparse
import json
import sys
import tomllib
import types
from collections import defaultdict


def load_checker(bfcl_dir):
    sys.path.insert(0, bfcl_dir)

    class NoRename:
        underscore_to_dot = False

    class Registry(dict):
        def __getitem__(self, _model):
            return NoRename()

    stub = types.ModuleType("bfcl_eval.constants.model_config")
    stub.MODEL_CONFIG_MAPPING = Registry()
    sys.modules["bfcl_eval.constants.model_config"] = stub
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    return ast_checker, Language.PYTHON


# bfcl_eval/utils.py: is_function_calling_format_output and is_empty_output.
def is_function_calling_format_output(decoded_output):
    if type(decoded_output) != list:
        return False
    for item in decoded_output:
        if type(item) != dict:
            return False
        if len(item) != 1:
            return False
        if type(list(item.values())[0]) != dict:
            return False
    return True


def is_empty_output(decoded_output):
    if not is_function_calling_format_output(decoded_output):
        return True
    if len(decoded_output) == 0:
        return True
    if len(decoded_output) == 1 and len(decoded_output[0]) == 0:
        return True
    return False


def bfcl_verdict(checker, language, category, functions, ground_truth, calls):
    """bfcl-eval's verdict on the calls edgebench decoded (None: decoding failed)."""
    if "irrelevance" in category or "relevance" in category:
        contains_call = calls is not None and not is_empty_output(calls)
        return (not contains_call) if "irrelevance" in category else contains_call, ""
    if calls is None:
        return False, "ast_decoder:decoder_failed"
    if not is_function_calling_format_output(calls):
        return False, "ast_decoder:decoder_wrong_output_format"
    try:
        result = checker(functions, calls, ground_truth, language, category, "edgebench")
    except Exception as error:  # bfcl-eval raises on some malformed calls
        return False, f"checker raised {type(error).__name__}: {error}"
    return result["valid"], result.get("error_type", "")


def suite_cases(path):
    with open(path, "rb") as f:
        suite = tomllib.load(f)
    cases = {}
    for case in suite["case"]:
        check = next(c for c in case["checks"] if c["type"] == "bfcl")
        cases[case["id"]] = (
            check["category"],
            json.loads(check["functions"]),
            json.loads(check["ground_truth"]),
        )
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bfcl", required=True, help="the unpacked bfcl-eval wheel")
    parser.add_argument("--set", nargs=3, action="append", required=True,
                        metavar=("LABEL", "SUITE", "VERDICTS"))
    parser.add_argument("--bar", type=float, default=0.99)
    parser.add_argument("--json", help="write the counts and disagreements here")
    args = parser.parse_args()
    checker, language = load_checker(args.bfcl)

    agree = defaultdict(int)
    total = defaultdict(int)
    disagreements = []
    for label, suite_path, verdicts_path in args.set:
        cases = suite_cases(suite_path)
        with open(verdicts_path) as f:
            for line in f:
                v = json.loads(line)
                category, functions, truth = cases[v["case_id"]]
                theirs, why = bfcl_verdict(checker, language, category, functions, truth, v["calls"])
                total[category] += 1
                if theirs == v["pass"]:
                    agree[category] += 1
                else:
                    disagreements.append({"set": label, "case_id": v["case_id"], "category": category,
                                          "edgebench": v["pass"], "bfcl_eval": theirs,
                                          "edgebench_reason": v["reason"], "bfcl_eval_error": why,
                                          "calls": v["calls"], "rule": v.get("rule")})

    print(f"{'category':<24} {'agree':>6} {'of':>6} {'share':>7}")
    below = []
    for category in sorted(total):
        share = agree[category] / total[category]
        print(f"{category:<24} {agree[category]:>6} {total[category]:>6} {share:>7.1%}")
        if share < args.bar:
            below.append(category)
    for d in disagreements:
        print(f"disagreement [{d['set']}] {d['case_id']}: edgebench {d['edgebench']}, "
              f"bfcl-eval {d['bfcl_eval']} ({d['bfcl_eval_error'] or d['edgebench_reason']}); "
              f"calls {json.dumps(d['calls'])[:200]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"agree": agree, "total": total, "disagreements": disagreements}, f, indent=1)
    all_agree, all_total = sum(agree.values()), sum(total.values())
    verdict = "below the bar in " + ", ".join(below) if below else f"every category at or above {args.bar:.0%}"
    print(f"agreement with bfcl-eval's AST checker: {all_agree}/{all_total} "
          f"({all_agree / max(all_total, 1):.1%}); {verdict}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
