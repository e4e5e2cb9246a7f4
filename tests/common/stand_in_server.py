"""A stand-in OpenAI-compatible server on 127.0.0.1 for the tests of how
servers end (tests/server_lifetime.rs).

    stand_in_server.py PORT MARKER_DIR [--ignore-term] [--hang]

Answers /health, /v1/models and streamed /v1/chat/completions (60 one-word
chunks, usage, [DONE]). --ignore-term ignores SIGTERM; --hang never answers a
chat request. Touches MARKER_DIR/asked when the first chat request comes.
"""
import http.server
import json
import os
import signal
import sys
import time

port, marker = int(sys.argv[1]), sys.argv[2]
flags = sys.argv[3:]
if "--ignore-term" in flags:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.send_json({"status": "ok"})
        elif self.path == "/v1/models":
            self.send_json({"object": "list", "data": [{"id": "m", "object": "model"}]})
        else:
            self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        open(os.path.join(marker, "asked"), "a").close()
        if "--hang" in flags:
            time.sleep(3600)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = lambda delta: "data: %s\n\n" % json.dumps(
            {"choices": [{"index": 0, "delta": delta}]}
        )
        events = [chunk({"role": "assistant"})]
        events += [chunk({"content": " word%d" % i}) for i in range(60)]
        usage = {"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 60}}
        events.append("data: %s\n\ndata: [DONE]\n\n" % json.dumps(usage))
        self.wfile.write("".join(events).encode())


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


Server(("127.0.0.1", port), Handler).serve_forever()
