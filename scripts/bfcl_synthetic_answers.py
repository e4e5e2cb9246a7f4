"""Prints answers (JSON lines: case_id, rule, text) built from the possible answers of
every case of an imported BFCL suite: the expected calls with the first or the last
accepted values, and mutations of them (a changed type, int/float, a dropped or extra
argument, another order, a renamed function, strings in other case and punctuation).
bfcl-eval and edgebench then score the same answers; see scripts/bfcl-agreement.sh."""
import json
import random
import sys
import tomllib


def accepted(options):
    return [o for o in options if o != ""]


def instantiate(value, pick):
    """A model's value from a possible answer's: its dicts (one level, as bfcl-eval
    checks them) hold lists of accepted values."""
    if isinstance(value, dict):
        return {k: pick(accepted(v)) if isinstance(v, list) else v
                for k, v in value.items() if not isinstance(v, list) or accepted(v)}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [instantiate(v, pick) for v in value]
    return value


def calls_from(truth, pick, keep_optional):
    calls = []
    for entry in truth:
        (name, params), = entry.items()
        args = {}
        for param, options in params.items():
            values = accepted(options)
            if values and (keep_optional or "" not in options):
                args[param] = instantiate(pick(values), pick)
        calls.append({"name": name, "arguments": args})
    return calls


def shout(value):
    return value.upper().replace(" ", "  ") + "." if isinstance(value, str) else value


def retype(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return int(value) if value == int(value) else str(value)
    if isinstance(value, str):
        return 1
    return str(value)


def mutations(calls, rng):
    """(rule, calls) pairs, each a small change to the right calls."""
    out = []
    for rule, change in [("retype", retype), ("shout", shout)]:
        changed = json.loads(json.dumps(calls))
        args = [c["arguments"] for c in changed if c["arguments"]]
        if args:
            a = rng.choice(args)
            key = rng.choice(sorted(a))
            a[key] = change(a[key])
            out.append((f"{rule} {key}", changed))
    dropped = json.loads(json.dumps(calls))
    args = [c["arguments"] for c in dropped if c["arguments"]]
    if args:
        a = rng.choice(args)
        del a[rng.choice(sorted(a))]
        out.append(("drop an argument", dropped))
    extra = json.loads(json.dumps(calls))
    extra[0]["arguments"]["extra_argument"] = 1
    out.append(("extra argument", extra))
    out.append(("reversed order", list(reversed(calls))))
    out.append(("one call more", calls + calls[:1]))
    if len(calls) > 1:
        out.append(("one call less", calls[:-1]))
    renamed = json.loads(json.dumps(calls))
    renamed[0]["name"] += "_v2"
    out.append(("renamed function", renamed))
    return out


def main():
    with open(sys.argv[1], "rb") as f:
        suite = tomllib.load(f)
    for case in suite["case"]:
        check = next(c for c in case["checks"] if c["type"] == "bfcl")
        truth = json.loads(check["ground_truth"])
        functions = json.loads(check["functions"])
        rng = random.Random(case["id"])
        answers = []
        if truth:
            first = calls_from(truth, lambda v: v[0], keep_optional=False)
            answers += [("first values", first),
                        ("first values, optionals given", calls_from(truth, lambda v: v[0], True)),
                        ("last values, optionals given", calls_from(truth, lambda v: v[-1], True))]
            answers += mutations(first, rng)
        else:
            answers.append(("plain text", "I cannot do that with these tools."))
            if functions:
                answers.append(("a call", [{"name": functions[0]["name"], "arguments": {}}]))
        for rule, calls in answers:
            text = calls if isinstance(calls, str) else json.dumps(calls[0] if len(calls) == 1 else calls)
            print(json.dumps({"case_id": case["id"], "rule": rule, "text": text}))


if __name__ == "__main__":
    main()
