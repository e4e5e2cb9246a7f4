"""Renders the expected outputs with Python's jinja2 the way Hugging Face
transformers' apply_chat_template does (its _compile_jinja_template: a
sandboxed environment with trim_blocks, lstrip_blocks and loop controls, its
own tojson, raise_exception and strftime_now). Run from this folder:
python3 render_expected.py (needs jinja2)."""
import json
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(source)


def openai_tools():
    """The API's tools field as edgebench serializes it (keys sorted at every level)."""
    specs = json.load(open("two-tools.json", encoding="utf-8"))
    tools = [{"type": "function", "function": spec} for spec in specs]
    return json.loads(json.dumps(tools, sort_keys=True))


SYSTEM = {"role": "system", "content": "You are a home assistant. Be brief."}
USER = {"role": "user", "content": "Set a timer for 5 minutes and tell me the weather in Zürich."}
CASES = [
    ("qwen2.5-coder-0.5b-instruct.jinja", [SYSTEM, USER], "qwen2.5-coder-two-tools.expected.txt"),
    ("qwen2.5-coder-0.5b-instruct.jinja", [USER], "qwen2.5-coder-two-tools-no-system.expected.txt"),
    ("python-methods.jinja", [SYSTEM, USER], "python-methods.expected.txt"),
]

for template, messages, expected in CASES:
    text = compile_template(open(template, encoding="utf-8").read()).render(
        messages=messages, tools=openai_tools(), documents=None, add_generation_prompt=True,
        bos_token="<|endoftext|>", eos_token="<|im_end|>")
    open(expected, "w", encoding="utf-8").write(text)
