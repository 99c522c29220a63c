"""Real processes for tests: an ASGI server and a Celery worker, on the test database.

Both need the test data committed, so tests using them take `transactional_db`.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


CHILD_APP_NAME = "pixel-test-child"


def child_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    database_url = f"{test_database_url()}?application_name={CHILD_APP_NAME}"
    env.update({"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "config.settings"})
    env["PIXEL_DB_CONN_MAX_AGE"] = "0"  # let the test database be dropped as soon as we stop
    env.update({k: v for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        env.pop(k, None)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, args, env, log_name):
        self.log_path = ROOT / "test-artifacts" / log_name
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for(self, ready, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} not ready after {timeout}s:\n{self.output()[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        # A killed child's server-side connection can outlive it for a while; end it so the test
        # database can be dropped at the end of the run. Only this run's database: another run on
        # the same server (its own test database) keeps its children's connections.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                [CHILD_APP_NAME],
            )


def start_server(**env):
    """`manage.py runserver` (daphne's, with static files) on a free port: the README's demo path."""
    port = free_port()
    process = Process(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        child_env(**env),
        f"server-{port}.log",
    )

    def listening():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    process.wait_for(listening, 60, "runserver")
    process.url = f"http://127.0.0.1:{port}"
    return process


def start_celery_worker(queues="inference,safety,default", **env):
    name = f"test-{os.getpid()}-{time.monotonic_ns()}@localhost"
    process = Process(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-P", "solo", "-n", name, "-l", "info"],
        child_env(**env),
        f"celery-{name.split('@')[0]}.log",
    )
    process.wait_for(lambda: "ready." in process.output(), 120, "celery worker")
    return process


def usable_by_server(*users, password="correct horse battery"):
    """Re-hash test passwords with the server's default hasher (tests use fast MD5)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    for user in users:
        user.password = hasher.encode(password, hasher.salt(), iterations=1000)
        user.save(update_fields=["password"])
