import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modelserve.backends import BackendError
from modelserve.backends.openai import OpenAICompatibleBackend
from modelserve.conf import LLMConfig
from modelserve.generate import generate
from modelserve.prompt import Turn


class FakeServer:
    """A real socket server speaking the completions API's SSE stream, one scripted reply per POST."""

    def __init__(self, pieces, status=200, delay=None):
        self.pieces, self.status, self.delay = pieces, status, delay
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                server.requests.append({"path": self.path, "headers": dict(self.headers),
                                        "body": json.loads(self.rfile.read(length))})
                if server.delay:
                    server.delay.wait(5)
                if server.status != 200:
                    self.send_response(server.status)
                    self.end_headers()
                    self.wfile.write(b'{"error": "model not found"}')
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in server.pieces:
                    event = {"choices": [{"text": piece, "index": 0}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.delay:
            self.delay.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def backend_for(url, **kwargs):
    return OpenAICompatibleBackend(LLMConfig(backend="openai", openai_base_url=url, openai_model="pixel-client",
                                             openai_api_key="sekrit", **kwargs))


def test_streams_pieces_over_sse():
    with FakeServer([" I", " have", "n't", " slept", " well."]) as server:
        pieces = list(backend_for(server.url).stream("prompt", max_tokens=20, temperature=0.3, stop=["\n"]))
    assert pieces == [" I", " have", "n't", " slept", " well."]
    request = server.requests[0]
    assert request["path"] == "/v1/completions"
    assert request["headers"]["Authorization"] == "Bearer sekrit"
    assert request["body"]["stream"] is True and request["body"]["model"] == "pixel-client"
    assert request["body"]["prompt"] == "prompt" and request["body"]["stop"] == ["\n"]


def test_base_url_may_already_end_in_v1():
    with FakeServer([" ok"]) as server:
        list(backend_for(server.url + "/v1/").stream("p", max_tokens=5, temperature=0.3, stop=[]))
    assert server.requests[0]["path"] == "/v1/completions"


def test_stop_strings_are_applied_even_if_the_server_ignores_them():
    with FakeServer([" Fine.", " Therap", "ist: and", " you?"]) as server:
        text = "".join(backend_for(server.url).stream("p", max_tokens=20, temperature=0.3, stop=["Therapist:"]))
    assert text == " Fine. "


def test_generate_through_the_server(abe):
    with FakeServer([" Not", " much,", " honestly.", " I", " stay", " in."]) as server:
        tokens = []
        reply = generate(abe, [Turn("trainee", "What do you do in the evenings?")], backend=backend_for(server.url),
                         on_token=tokens.append, max_tokens=30, temperature=0.4)
    assert reply.text == "Not much, honestly. I stay in." == "".join(tokens)
    assert reply.model == "pixel-client"


def test_nothing_listening_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed
    with pytest.raises(BackendError, match="nothing is listening"):
        list(backend_for(f"http://127.0.0.1:{port}").stream("p", max_tokens=5, temperature=0.3, stop=[]))


def test_http_error_is_reported_with_the_status():
    with FakeServer([], status=404) as server:
        with pytest.raises(BackendError, match="HTTP 404.*model not found"):
            list(backend_for(server.url).stream("p", max_tokens=5, temperature=0.3, stop=[]))


def test_a_server_that_does_not_answer_times_out():
    with FakeServer([" late"], delay=threading.Event()) as server:
        with pytest.raises(BackendError, match="did not answer within 0.3s"):
            list(backend_for(server.url, openai_timeout=0.3).stream("p", max_tokens=5, temperature=0.3, stop=[]))


def test_a_bad_base_url_is_refused():
    with pytest.raises(BackendError, match="PIXEL_OPENAI_BASE_URL"):
        backend_for("127.0.0.1:8000")
