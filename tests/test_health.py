"""/healthz and /readyz (issue 16, item 15): what a load balancer asks, answered from the real
database, Redis and a real Celery worker's heartbeat."""

import json
import time

import pytest
import redis
from django.conf import settings

from config import health
from tests.services import start_celery_worker


def _clear_heartbeats():
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=health.HEARTBEAT_PREFIX + "*"):
        client.delete(key)


@pytest.mark.django_db
def test_healthz_answers_any_host_over_plain_http(client, settings):
    # A probe by address: not in ALLOWED_HOSTS, no HTTPS, nobody signed in.
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert client.get("/", HTTP_HOST="10.1.2.3").status_code == 400  # the rest of the site still checks the host


@pytest.mark.django_db
def test_readyz_is_503_without_a_worker_and_names_what_is_missing(client):
    _clear_heartbeats()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert not body["checks"]["workers"]["ok"]
    assert "inference" in body["checks"]["workers"]["detail"]


@pytest.mark.django_db
def test_readyz_fails_when_the_database_is_unreachable(client, monkeypatch):
    def broken():
        raise OSError("connection refused")

    monkeypatch.setattr(health, "check_database", broken)
    body = client.get("/readyz").json()
    assert body["checks"]["database"] == {"ok": False, "detail": "OSError: connection refused"}


def test_model_status_refuses_a_file_that_is_not_gguf(tmp_path, monkeypatch):
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"<html>404</html>")
    monkeypatch.setenv("PIXEL_LLM_BACKEND", "llama")
    monkeypatch.setenv("PIXEL_LLM_MODEL_PATH", str(junk))
    ok, detail = health.model_status()
    assert not ok and "not a GGUF file" in detail
    monkeypatch.setenv("PIXEL_LLM_MODEL_PATH", "")
    ok, detail = health.model_status()  # the bundled model
    assert ok, detail


@pytest.mark.django_db(transaction=True)
def test_readyz_follows_a_real_workers_heartbeat(client):
    _clear_heartbeats()
    assert client.get("/readyz").status_code == 503
    worker = start_celery_worker(queues="inference,safety,default", PIXEL_HEARTBEAT_SECONDS="1")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            response = client.get("/readyz")
            if response.status_code == 200:
                break
            time.sleep(0.5)
        body = response.json()
        assert response.status_code == 200, body
        assert set(body["checks"]["workers"]["detail"]) == {"inference", "safety", "default"}
        assert body["checks"]["model"]["ok"]
        beat = json.loads(
            redis.Redis.from_url(settings.REDIS_URL).get(
                next(iter(redis.Redis.from_url(settings.REDIS_URL).scan_iter(match=health.HEARTBEAT_PREFIX + "*")))
            )
        )
        assert beat["model_ok"] and beat["queues"] == ["default", "inference", "safety"]
    finally:
        worker.stop()
    # A worker that shuts down takes its heartbeat with it: not ready again at once.
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db(transaction=True)
def test_a_worker_without_the_inference_queue_does_not_make_the_server_ready(client):
    _clear_heartbeats()
    worker = start_celery_worker(queues="safety,default", PIXEL_HEARTBEAT_SECONDS="1")
    try:
        time.sleep(3)
        body = client.get("/readyz").json()
        assert not body["ok"]
        assert "inference" in body["checks"]["workers"]["detail"]
        assert not body["checks"]["model"]["ok"]
    finally:
        worker.stop()
