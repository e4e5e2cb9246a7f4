"""Writes answers.jsonl: hand-made answers to the cases in this directory, one per
rule of bfcl-eval's AST checker (and of edgebench's call parser), so that
scripts/bfcl-agreement.sh can compare edgebench's verdicts with bfcl-eval's."""
import json

out = []


def a(case, rule, text):
    out.append({"case_id": case, "rule": rule, "text": text if isinstance(text, str) else json.dumps(text)})


def call(function, **args):
    return {"name": function, "arguments": args}


A = "geometry.area"; S = "simple_python_0"
a(S, "exact answer, optional params left out", call(A, width=10, height=5.0))
a(S, "int for a float param", call(A, width=10, height=5))
a(S, "float for an int param", call(A, width=10.0, height=5.0))
a(S, "string for an int param (wrong type)", call(A, width="10", height=5.0))
a(S, "number for a boolean param", call(A, width=10, height=5.0, exact=0))
a(S, "boolean given as optional default", call(A, width=10, height=5.0, exact=False))
a(S, "missing required param", call(A, width=10))
a(S, "extra argument", call(A, width=10, height=5.0, colour="red"))
a(S, "string normalisation: case, spaces, punctuation", call(A, width=10, height=5.0, unit=" C.M "))
a(S, "string alternative", call(A, width=10, height=5.0, unit="Centimetres"))
a(S, "wrong string", call(A, width=10, height=5.0, unit="mm"))
a(S, "list in order, strings normalised", call(A, width=10, height=5.0, labels=["front", "BACK"]))
a(S, "list in the wrong order", call(A, width=10, height=5.0, labels=["Back", "Front"]))
a(S, "list with a wrong item type", call(A, width=10, height=5.0, labels=["Front", 2]))
a(S, "int list", call(A, width=10, height=5.0, scale=[1, 2]))
a(S, "int list given floats", call(A, width=10, height=5.0, scale=[1.0, 2.0]))
a(S, "dict value normalised", call(A, width=10, height=5.0, style={"colour": "Red"}))
a(S, "dict with a wrong value", call(A, width=10, height=5.0, style={"colour": "blue"}))
a(S, "dict with an extra key", call(A, width=10, height=5.0, style={"colour": "red", "line": "thin"}))
a(S, "list of dicts", call(A, width=10, height=5.0, points=[{"x": 0, "y": 0}, {"x": 10, "y": 5}]))
a(S, "list of dicts in the wrong order", call(A, width=10, height=5.0, points=[{"x": 10, "y": 5}, {"x": 0, "y": 0}]))
a(S, "list of dicts, one missing", call(A, width=10, height=5.0, points=[{"x": 0, "y": 0}]))
a(S, "wrong function name", call("geometry.volume", width=10, height=5.0))
a(S, "two calls where one is expected", [call(A, width=10, height=5.0), call(A, width=10, height=5.0)])
a(S, "plain text, no call", "The area is 50 square centimetres.")
a(S, "call in a ```json fence", "```json\n" + json.dumps(call(A, width=10, height=5.0)) + "\n```")
a(S, "call in <tool_call> tags", "<tool_call>" + json.dumps(call(A, width=10, height=5.0)) + "</tool_call>")
a(S, "OpenAI nesting, arguments as a JSON string",
  {"type": "function", "function": {"name": A, "arguments": json.dumps({"width": 10, "height": 5.0})}})
a(S, "truncated JSON", json.dumps(call(A, width=10, height=5.0))[:-5])
a("simple_python_1", "variable name where the doc says integer", call(A, width="side_length", height=2.5))
a("simple_python_1", "number where the answer is a variable", call(A, width=4, height=2.5))
a("simple_python_1", "param whose only answer is optional, given", call(A, width="side_length", height=2.5, unit="cm"))
a("simple_python_2", "date normalisation (april 1 2024)", call(A, width=3, height=4.0, unit="april 1 2024"))
a("simple_python_2", "quote normalisation", call(A, width=3, height=4.0, unit="April 1, 2024"))
M = "multiple_0"; P = "spotify.play"
a(M, "right function among several", call(P, artist="adele", duration=20))
a(M, "null for an optional boolean (answer lists None)", call(P, artist="Adele", duration=20, shuffle=None))
a(M, "wrong function among several", call("get_weather", city="Adele"))
a(M, "int given as a float", call(P, artist="Adele", duration=20.0))
a(M, "boolean true where only false/None allowed", call(P, artist="Adele", duration=20, shuffle=True))
PA = "parallel_0"
a(PA, "parallel in order", [call(P, artist="Taylor Swift", duration=20), call(P, artist="Maroon 5", duration=15)])
a(PA, "parallel in the other order", [call(P, artist="Maroon 5", duration=15), call(P, artist="taylor swift", duration=20)])
a(PA, "parallel, one call missing", call(P, artist="Maroon 5", duration=15))
a(PA, "parallel, one extra call", [call(P, artist="Maroon 5", duration=15), call(P, artist="Taylor Swift", duration=20),
                                   call(P, artist="Adele", duration=1)])
a(PA, "parallel, values swapped between calls", [call(P, artist="Maroon 5", duration=20), call(P, artist="Taylor Swift", duration=15)])
a(PA, "parallel as tool_calls object", {"tool_calls": [call(P, artist="Maroon 5", duration=15), call(P, artist="Taylor Swift", duration=20)]})
a(PA, "parallel as two <tool_call> tags", "<tool_call>" + json.dumps(call(P, artist="Maroon 5", duration=15))
  + "</tool_call>\n<tool_call>" + json.dumps(call(P, artist="Taylor Swift", duration=20)) + "</tool_call>")
PM = "parallel_multiple_0"; W = "get_weather"
a(PM, "two functions, any order", [call(P, artist="Adele", duration=5), call(W, city="Paris, France")])
a(PM, "two functions, date null (optional)", [call(W, city="Paris", date=None), call(P, artist="Adele", duration=5)])
a(PM, "two functions, one wrong", [call(W, city="London"), call(P, artist="Adele", duration=5)])
a(PM, "same function twice", [call(P, artist="Adele", duration=5), call(P, artist="Adele", duration=5)])
for c in ["irrelevance_0", "live_irrelevance_0-0-0"]:
    a(c, "plain text", "I'm sorry, none of my tools can answer that.")
    a(c, "a call", call(W, city="Stratford"))
    a(c, "empty list", "[]")
    a(c, "list with an empty object", "[{}]")
    a(c, "object without a name", {"arguments": {"city": "x"}})
a("live_irrelevance_1-0-0", "plain text, no tools offered", "Hello to you too!")
a("live_irrelevance_1-0-0", "a made-up call", call("greet", name="you"))
R = "live_relevance_0-0-0"
a(R, "any call", call(W, city="Lima"))
a(R, "a call with wrong arguments still counts", call(W, town="Lima"))
a(R, "plain text", "It is sunny in Lima.")
a(R, "empty list", "[]")
LS = "live_simple_0-0-0"
a(LS, "alternative city, optional given", call(W, city="Berlin, Germany", date="Tomorrow"))
a(LS, "optional left out", call(W, city="berlin"))
a(LS, "wrong date", call(W, city="Berlin", date="today"))
a(LS, "null for a string param", call(W, city="Berlin", date=None))
a("live_multiple_0-0-0", "right call", call(P, artist="MUSE", duration=3))
a("live_multiple_0-0-0", "weather instead", call(W, city="Muse"))
LP = "live_parallel_0-0-0"
a(LP, "both cities, reversed", [call(W, city="Oslo"), call(W, city="Rome")])
a(LP, "one city", call(W, city="Rome"))
a(LP, "extra optional not in the answer", [call(W, city="Rome", date="today"), call(W, city="Oslo")])
LPM = "live_parallel_multiple_0-0-0"
a(LPM, "both, reversed", [call(P, artist="Muse", duration=3), call(W, city="rome")])
a(LPM, "duration as a string", [call(W, city="Rome"), call(P, artist="Muse", duration="3")])

with open("answers.jsonl", "w") as f:
    for o in out:
        f.write(json.dumps(o) + "\n")
print(f"{len(out)} answers")
