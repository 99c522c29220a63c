"""A model served elsewhere over the OpenAI completions API: vLLM, llama.cpp's server, TGI.

We use the plain completions endpoint, not chat: the prompt is already a transcript
(modelserve.prompt), and a chat template would wrap it in a second, conflicting format. Streaming
is Server-Sent Events: one "data: {json}" line per piece, then "data: [DONE]".

Standard library only, so the worker needs no HTTP client package.
"""

import http.client
import json
from collections.abc import Iterator, Sequence
from itertools import accumulate
from urllib.parse import urlsplit

from modelserve.backends.base import Backend, BackendError
from modelserve.conf import LLMConfig


class OpenAICompatibleBackend(Backend):
    name = "openai"

    def __init__(self, config: LLMConfig):
        self.config = config
        url = urlsplit(config.openai_base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise BackendError(f"PIXEL_OPENAI_BASE_URL must be an http(s) URL, not {config.openai_base_url!r}")
        self._url = url
        path = url.path.rstrip("/")
        self._path = path + ("/completions" if path.endswith("/v1") else "/v1/completions")
        self.model_id = config.openai_model or "default"

    def stream(self, prompt: str, *, max_tokens: int, temperature: float, stop: list[str],
               cache_key: str | None = None, seed: int | None = None, penalise: Sequence[str] = (),
               penalty: float = 0.0) -> Iterator[str]:
        # cache_key is unused: vLLM (prefix caching) and llama.cpp's server (cache_prompt) reuse
        # shared prefixes on their own.
        body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": temperature,
                "stop": stop, "stream": True}
        if penalise:
            # Token ids are the server's; its presence penalty is the portable way to steer
            # away from a reply just repeated (the penalised reply is in the prompt already).
            body["presence_penalty"] = min(2.0, penalty / 2)
        if self.config.openai_model:
            body["model"] = self.config.openai_model
        if seed is not None:
            body["seed"] = seed
        connection = self._connect()
        try:
            response = self._post(connection, body)
            # Servers apply stop strings too; cutting here as well keeps behaviour the same when a
            # server caps how many it honours (OpenAI itself takes four).
            yield from self.until_stop(accumulate(self._events(response)), stop)
        except TimeoutError as e:
            raise BackendError(f"{self._where()} did not answer within {self.config.openai_timeout:g}s") from e
        except (OSError, http.client.HTTPException) as e:
            raise BackendError(f"connection to {self._where()} failed: {e}") from e
        finally:
            connection.close()

    def _where(self) -> str:
        return f"the model server at {self._url.scheme}://{self._url.netloc}"

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._url.scheme == "https" else http.client.HTTPConnection
        return cls(self._url.hostname, self._url.port, timeout=self.config.openai_timeout)

    def _post(self, connection, body: dict) -> http.client.HTTPResponse:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.config.openai_api_key:
            headers["Authorization"] = f"Bearer {self.config.openai_api_key}"
        try:
            connection.request("POST", self._path, body=json.dumps(body).encode(), headers=headers)
            response = connection.getresponse()
        except ConnectionRefusedError as e:
            raise BackendError(f"cannot reach {self._where()}: nothing is listening "
                               f"(check PIXEL_OPENAI_BASE_URL)") from e
        except TimeoutError as e:
            raise BackendError(f"{self._where()} did not answer within {self.config.openai_timeout:g}s") from e
        except (OSError, http.client.HTTPException) as e:
            raise BackendError(f"cannot reach {self._where()}: {e}") from e
        if response.status != 200:
            detail = response.read(500).decode("utf-8", errors="replace")
            raise BackendError(f"{self._where()} answered HTTP {response.status}: {detail}")
        return response

    def _events(self, response) -> Iterator[str]:
        for raw in response:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line.startswith("data:"):
                continue  # blank separators, comments, "event:" lines
            data = line[len("data:"):].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except json.JSONDecodeError as e:
                raise BackendError(f"{self._where()} sent a malformed event: {data[:200]!r}") from e
            if "error" in event:
                raise BackendError(f"{self._where()} reported an error: {event['error']}")
            choices = event.get("choices") or [{}]
            piece = choices[0].get("text") or ""
            if piece:
                yield piece
