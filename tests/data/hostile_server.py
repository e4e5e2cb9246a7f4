"""A hostile OpenAI-compatible server for tests/served_hostile.rs, started by
the sweep (`[candidate.server]`): python3 hostile_server.py PORT MODE.

MODE echo:   logs every request's headers (and the bearer token as HTTP Basic
             `edge:<token>` in base64), echoes the Authorization header in its
             answers, fails every third completion with the header, escape
             codes and Markdown in the error, serves its identity pages with the
             header, and prints the token as its last line on SIGTERM.
MODE exits:  prints the key from its environment and exits at once.
MODE crash:  serves well, but prints edgebench's crash-report lines.
MODE flood:  streams tool-call pieces of ~1 MiB, four per event, without end.
Bounded: it exits on SIGTERM, and by itself after 120 s.
"""
import base64
import http.server
import json
import os
import signal
import sys
import threading

PORT, MODE = int(sys.argv[1]), sys.argv[2]
LAST = {"auth": ""}
COUNT = {"n": 0}
ESCAPES = "\x1b]0;pwned\x07\x1b[31m **bold** _it_ https://evil.example"


def say(text):
    print(text, file=sys.stderr, flush=True)


def bye(*_):
    say(f"shutting down; the last client said {LAST['auth']}")
    os._exit(0)


signal.signal(signal.SIGTERM, bye)
timer = threading.Timer(120, lambda: os._exit(0))
timer.daemon = True
timer.start()

if MODE == "exits":
    say(f"cannot start: key {os.environ.get('EDGEBENCH_TEST_API_KEY', '')} is wrong")
    sys.exit(3)
if MODE == "crash":
    say("edgebench-crash: signal=11 name=SIGSEGV")
    say("edgebench-crash-at: ggml_fake_kernel")


def chunk(delta):
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}) + "\n\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def noted_auth(self):
        auth = self.headers.get("Authorization", "")
        LAST["auth"] = auth
        token = auth.split(" ", 1)[-1]
        basic = base64.b64encode(f"edge:{token}".encode()).decode()
        say(f"request {self.command} {self.path} headers: {dict(self.headers)}")
        say(f"as basic: Basic {basic}")
        return f"{auth} (Basic {basic})"

    def send(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body.encode())

    def do_GET(self):
        said = self.noted_auth() if MODE == "echo" else ""
        self.send(200, json.dumps({"data": [{"id": "m"}], "echo": said}))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        said = self.noted_auth() if MODE == "echo" else ""
        COUNT["n"] += 1
        if MODE == "echo" and COUNT["n"] % 3 == 0:
            error = {"error": {"message": f"bad key {said} {ESCAPES}"}}
            return self.send(500, json.dumps(error))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if MODE == "flood":
            return self.flood()
        events = chunk({"role": "assistant"})
        words = [f"you sent {said}"] if said else []
        words += [f" word{i}" for i in range(8)]
        events += "".join(chunk({"content": w}) for w in words)
        usage = {"prompt_tokens": 12, "completion_tokens": len(words)}
        events += "data: " + json.dumps({"choices": [], "usage": usage}) + "\n\n"
        events += "data: [DONE]\n\n"
        self.wfile.write(events.encode())

    def flood(self):
        piece = "x" * (1000 << 10)
        calls = ",\n".join(
            "data: " + json.dumps({"index": i, "function": {"name": "f", "arguments": piece}})
            for i in range(4)
        )
        event = 'data: {"choices":[{"index":0,"delta":{"tool_calls":[\n' + calls + "\ndata: ]}}]}\n\n"
        event = event.encode()
        try:
            while True:
                self.wfile.write(event)
        except OSError:
            pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
