"""End-to-end numbers for the live-session path: browser socket -> server -> Celery -> model -> back.

    .venv/bin/python benchmarks/ws_path.py            # full run, about 12 minutes on 2 cores
    .venv/bin/python benchmarks/ws_path.py --quick    # smoke run, under 2 minutes
    .venv/bin/python benchmarks/ws_path.py --mode embedded   # the demo: no Redis, replies in-process

A trainee's client sends {"type": "message"} on ws://.../ws/sessions/<uuid>/ and we time the first
{"type": "token"} event (TTFT) and the token events after it, on the bundled Gemma 3 270M. Beside
each, the same prompt (modelserve.prompt.build_prompt of the stored transcript) goes straight to
LlamaCppBackend.stream in this process; the difference is what the path costs.

Phases: one session at turn 1 and turn 20; four sessions taking turns on the worker at turn 20
(each reply restores that session's saved KV state); 1, 4 and 16 concurrent trainees who write
every 20 s on average (exponential think time, started after the previous reply is complete).

The script starts its own server and Celery worker (or, embedded, just the server), on a dedicated
database (PostgreSQL `pixel_bench`, or SQLite in a temporary folder) and Redis db 5 (emptied at the
start), and stops them at the end, also on Ctrl-C. Sessions reach turn 20 quickly because their
first 18 exchanges are written through the ORM; turn 19 goes over the socket so the worker holds
the session's KV state, as it would in a real session. Prints a table and writes
benchmarks/results/ws_path.json; server and worker logs go beside it. docs/simulator.md, "Measured",
quotes the results.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"

# Neutral trainee lines: no risk questions, so the crisis protocol never pauses a benchmark session.
TRAINEE_LINES = [
    "Hi, thanks for coming in today. What brings you here?",
    "That sounds really hard. How long has it been like this?",
    "How have you been sleeping lately?",
    "What goes through your mind when that happens?",
    "Who do you have around you for support?",
    "What would you like to be different?",
    "How does a normal day look for you at the moment?",
    "What have you tried so far to make things easier?",
    "When did you last feel a bit more like yourself?",
    "What do you notice in your body when you feel like that?",
    "How do the people close to you react when you tell them?",
    "What matters most to you right now?",
    "It sounds like you have been carrying a lot on your own.",
    "What happened the last time you felt this way?",
    "How was this week compared with last week?",
    "What would a small step in the right direction look like?",
    "What gets in the way when you try to do that?",
    "How are you feeling about talking with me today?",
    "What do you usually do in the evenings?",
    "Could you tell me a bit more about that?",
    "What would you like to focus on next time?",
    "What do you think has helped you cope so far?",
]
CLIENT_LINES = [
    "I don't know, it's been hard.", "A few months, maybe more.", "Not well. I wake up at four.",
    "That I'm useless, mostly.", "My sister, sometimes.", "I'd like to get up in the morning.",
    "I mostly stay at home.", "Not much, to be honest.", "Last summer, I think.",
]

PLANS = {
    # repeats: sessions per single-session measurement; groups: sets of 4 sessions taking turns;
    # load: (concurrent sessions, seconds of sending); think: mean seconds between replies.
    "quick": {"repeats": 2, "groups": 1, "load": [(1, 10), (4, 10), (16, 15)], "think": 20.0, "pause": 1.0},
    "full": {"repeats": 5, "groups": 3, "load": [(1, 90), (4, 120), (16, 180)], "think": 20.0, "pause": 3.0},
}

TARGETS = {"ttft_turn20_p50": 0.150, "overhead": 0.030, "load16_p95": 5.0}


# --- environment and processes -----------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(args, workdir):
    """The environment of the server, the worker and this process (before django.setup())."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIXEL_", "DATABASE_URL", "REDIS_URL", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
        # Prefilled transcripts hold 19 trainee messages written a moment ago; the benchmark
        # measures latency, not the per-minute limit.
        "PIXEL_MESSAGES_PER_MINUTE": "100000",
        "PIXEL_REPLY_STALE_SECONDS": str(int(args.reply_timeout) + 30),
        "PIXEL_LOG_LEVEL": "INFO",
        "PIXEL_LLM_SHARED_STATE": "false" if args.no_shared_state else "true",
    })
    if args.mode == "celery":
        env.update({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
                    "PIXEL_CHANNEL_PREFIX": "bench", "PIXEL_CACHE_PREFIX": "bench"})
    else:
        env["PIXEL_SQLITE_PATH"] = str(Path(workdir) / "bench.sqlite3")
    return env


def prepare_database(args):
    if args.mode != "celery":
        return
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(args.database_url)
    admin = psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], password=cfg["PASSWORD"] or None,
                            dbname="postgres", autocommit=True)
    with admin:
        if args.fresh_db:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


def empty_redis(args):
    """The benchmark's Redis db holds its broker queues; a killed run's tasks must not carry over."""
    if args.mode == "celery":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()


class Child:
    """A subprocess in its own process group, logging to benchmarks/results/PREFIX-NAME.log
    (appended to with mode "a", so a restarted child keeps its predecessor's log)."""

    def __init__(self, name, argv, env, prefix="ws_path", mode="w"):
        self.name = name
        self.log_path = RESULTS / f"{prefix}-{name}.log"
        self.log = open(self.log_path, mode)
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for(self, ready, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.output()[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def start_services(args, env, port):
    children = []
    if args.server == "daphne":
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    else:
        argv = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    server = Child("server", argv, env)
    children.append(server)

    def listening():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        server.wait_for(listening, 60)
        if args.mode == "celery":
            # The first worker takes every queue; more workers (--workers) take replies only, each
            # its own process with its own model, sharing saved KV states through Redis.
            for k in range(args.workers):
                queues = "inference,safety,default" if k == 0 else "inference"
                worker = Child(f"worker{k + 1}" if k else "worker",
                               [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-P", "solo",
                                "-n", f"bench-{os.getpid()}-{k}@localhost", "-l", "info"], env)
                children.append(worker)
            for worker in children[1:]:
                worker.wait_for(lambda w=worker: "ready." in w.output(), 120)
    except BaseException:
        for child in reversed(children):
            child.stop()
        raise
    return children


# --- fixtures through the ORM ------------------------------------------------------------------

class Fixtures:
    def __init__(self, run_id):
        from django.contrib.auth import get_user_model

        from accounts.actions import do_issue_certification
        from accounts.models import Certification
        from simulator.library import load_library
        from simulator.models import Scenario

        self.User = get_user_model()
        self.run_id = run_id
        self.count = 0
        self.issue = do_issue_certification
        self.simulation = Certification.SIMULATION
        load_library()
        self.scenarios = list(Scenario.objects.filter(is_active=True, certification=Certification.SIMULATION).order_by("slug"))
        self.admin = self.User.objects.create_user(email=f"bench-admin-{run_id}@example.org", password=None)
        self.admin.set_role("admin")

    def session(self, exchanges=0, scenario_index=None):
        """A new trainee with a live session whose transcript already holds EXCHANGES exchanges.

        Returns (session, cookie value)."""
        from django.test import Client

        from simulator.actions import do_start_session
        from simulator.models import Message

        self.count += 1
        user = self.User.objects.create_user(email=f"bench-{self.run_id}-{self.count}@example.org", password=None)
        self.issue(self.admin, user, self.simulation, note="benchmark")
        scenario = self.scenarios[(self.count if scenario_index is None else scenario_index) % len(self.scenarios)]
        session = do_start_session(user, scenario)
        for i in range(exchanges):
            trainee, _ = session.append(Message.TRAINEE, trainee_line(i), client_msg_id=f"prefill-{i}")
            session.append(Message.CLIENT, CLIENT_LINES[i % len(CLIENT_LINES)], reply_to=trainee.seq,
                           model_name="prefilled")
        client = Client()
        client.force_login(user)
        from django.conf import settings

        return session, client.cookies[settings.SESSION_COOKIE_NAME].value


def trainee_line(i):
    return TRAINEE_LINES[i % len(TRAINEE_LINES)]


# --- the socket client -------------------------------------------------------------------------

class Trainee:
    """One browser: a socket to one session, sending a message and timing the reply's events."""

    def __init__(self, base, session, cookie, turn, timeout):
        self.url = f"ws://{base}/ws/sessions/{session.pk}/"
        self.origin = f"http://{base}"
        self.cookie = cookie
        self.session_id = str(session.pk)
        self.turn = turn  # the trainee turn the next message is
        self.timeout = timeout
        self.ws = None

    async def connect(self):
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, origin=self.origin, additional_headers={"Cookie": f"sessionid={self.cookie}"},
                                compression=None, proxy=None, open_timeout=self.timeout, max_queue=None)

    async def close(self):
        if self.ws is not None:
            await self.ws.close()

    async def exchange(self, text=None):
        """Send one message; wait for the stored reply. Returns a result dict (never raises on timeout)."""
        turn = self.turn
        self.turn += 1
        msg_id = uuid.uuid4().hex
        result = {"session": self.session_id, "turn": turn, "ok": False, "timeout": False, "error": None,
                  "ttft": None, "events": 0, "discards": 0}
        seq, tokens = None, []
        try:
            from websockets.protocol import State

            if self.ws.state is not State.OPEN:
                # The server closed the socket while the trainee was thinking: the browser would
                # reconnect at once, so do that, count it, and time the message from its sending.
                result["reconnected"] = f"closed {self.ws.close_code}"
                await self.connect()
        except Exception as e:
            result["error"] = f"reconnect failed: {type(e).__name__}: {e}"
            return result
        started = time.perf_counter()
        deadline = started + self.timeout
        try:
            await self.ws.send(json.dumps({"type": "message", "id": msg_id, "text": text or trainee_line(turn - 1)}))
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise TimeoutError
                event = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
                now = time.perf_counter() - started
                kind = event.get("type")
                if kind == "ack" and event.get("id") == msg_id:
                    seq = event["seq"]
                    result["ack"] = now
                elif kind == "error":
                    result["error"] = event.get("code")
                    return result
                elif kind == "status" and event.get("status") != "live":
                    result["error"] = f"status {event.get('status')}"
                    return result
                elif kind == "ended":
                    result["error"] = "ended"
                    return result
                elif kind == "token":
                    tokens.append((now, event["reply_to"], event["text"]))
                elif kind == "discard":
                    tokens.append((now, event["reply_to"], None))
                elif kind == "message" and event.get("role") == "client" and seq is not None and event.get("reply_to") == seq:
                    mine = [t for t in tokens if t[1] == seq]
                    shown = [t for t in mine if t[2] is not None]
                    last_discard = max((i for i, t in enumerate(mine) if t[2] is None), default=-1)
                    final = [t for t in mine[last_discard + 1:]]
                    result.update(ok=True, seq=seq, reply_seq=event["seq"], total=now, text=event["text"],
                                  ttft=shown[0][0] if shown else None, events=len(final),
                                  discards=sum(1 for t in mine if t[2] is None),
                                  first_text=final[0][2] if final else "",
                                  first_event=final[0][0] if final else None, last_event=final[-1][0] if final else None)
                    return result
        except TimeoutError:
            result["timeout"] = True
            return result
        except Exception as e:  # a dropped socket is an error to count, not a crash of the benchmark
            result["error"] = f"{type(e).__name__}: {e}"
            return result


async def open_trainees(base, pairs, turn, timeout):
    trainees = [Trainee(base, session, cookie, turn, timeout) for session, cookie in pairs]
    await asyncio.gather(*(t.connect() for t in trainees))
    return trainees


async def run_sequence(base, pairs, turns, timeout, pause):
    """Each session in PAIRS sends TURNS messages; sessions take turns (A1 B1 C1 D1 A2 ...)."""
    trainees = await open_trainees(base, pairs, turns[0], timeout)
    results = []
    try:
        for _ in turns:
            for trainee in trainees:
                results.append(await trainee.exchange())
                await asyncio.sleep(pause)
    finally:
        await asyncio.gather(*(t.close() for t in trainees), return_exceptions=True)
    return results


async def run_load(base, pairs, seconds, think, timeout, seed):
    """Concurrent trainees: each writes, waits for the whole reply, thinks (exponential, mean THINK)."""
    trainees = await open_trainees(base, pairs, 1, timeout)
    results = []
    started = time.monotonic()
    deadline = started + seconds

    async def loop(trainee, rng):
        await asyncio.sleep(rng.uniform(0, min(think, seconds / 2)))  # trainees do not all start at once
        while time.monotonic() < deadline:
            result = await trainee.exchange()
            result["at"] = round(time.monotonic() - started, 2)
            results.append(result)
            # After a refused or lost message too: wait as a person would, then write the next one.
            pause = think if not result["ok"] else min(rng.expovariate(1 / think), 5 * think)
            if time.monotonic() + pause >= deadline:
                break
            await asyncio.sleep(pause)

    try:
        await asyncio.gather(*(loop(t, random.Random(seed * 1000 + i)) for i, t in enumerate(trainees)))
    finally:
        await asyncio.gather(*(t.close() for t in trainees), return_exceptions=True)
    return results, time.monotonic() - started


# --- direct llama-cpp-python on the same prompts -----------------------------------------------

class Raw:
    """LlamaCppBackend in this process, fed the prompts the worker built for stored transcripts."""

    def __init__(self):
        from modelserve.backends.llama import LlamaCppBackend
        from modelserve.conf import load_config
        from modelserve.prompt import PromptStyle

        self.config = load_config()
        self.style = PromptStyle(card=self.config.prompt_card)
        self.backend = LlamaCppBackend(self.config)

    def transcript(self, session_id, upto_seq):
        from simulator.models import Session
        from simulator.replies import turns_for

        session = Session.objects.select_related("scenario_version").get(pk=session_id)
        return session.persona, turns_for(session, upto_seq)

    def prompt(self, persona, turns):
        from modelserve.generate import fit_turns
        from modelserve.prompt import CLIENT_MODE, build_prompt

        turns = fit_turns(self.backend, persona, list(turns), CLIENT_MODE, self.config.max_tokens, self.style)
        return build_prompt(persona, turns, CLIENT_MODE, style=self.style)

    def stream(self, persona, prompt, cache_key=None):
        """(TTFT, tokens/s after the first piece, pieces) of one backend.stream call."""
        from modelserve.prompt import CLIENT_MODE, stop_sequences

        started = time.perf_counter()
        times = []
        for _ in self.backend.stream(prompt, max_tokens=self.config.max_tokens, temperature=self.config.temperature,
                                     stop=stop_sequences(persona, CLIENT_MODE), cache_key=cache_key, seed=1234):
            times.append(time.perf_counter() - started)
        if not times:
            return None, None, 0
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 and times[-1] > times[0] else None
        return times[0], rate, len(times)

    def cold(self):
        self.backend._llm.reset()

    def count(self, text):
        return len(self.backend._llm.tokenize(text.encode(), add_bos=False, special=False)) if text else 0

    def generate_ttft(self, persona, turns, cache_key):
        """first_token_seconds of modelserve.generate(): the backend plus the persona guard's hold-back."""
        from modelserve.generate import generate

        return generate(persona, turns, backend=self.backend, cache_key=cache_key).first_token_seconds


def raw_measurements(raw, turn1, turn20, taking_turns):
    """Replay the transcripts the socket phases produced, straight into llama.cpp."""
    out = {"turn1_cold": [], "turn20_cold": [], "turn20_live": [], "turn20_restored": [], "generate_turn20_live": [],
           "tokens_per_s": [], "prompt_tokens_turn1": [], "prompt_tokens_turn20": [], "evaluated_tokens_turn20_live": []}
    for r in turn1:
        persona, turns = raw.transcript(r["session"], r["seq"])
        raw.cold()
        first, rate, _ = raw.stream(persona, raw.prompt(persona, turns))
        out["turn1_cold"].append(first)
        out["prompt_tokens_turn1"].append(raw.backend.last_prompt_tokens)
        if rate:
            out["tokens_per_s"].append(rate)
    for r in turn20:
        persona, turns20 = raw.transcript(r["session"], r["seq"])
        turns19 = turns20[:-2]  # up to the trainee's turn 19: what the worker evaluated before
        prompt19, prompt20 = raw.prompt(persona, turns19), raw.prompt(persona, turns20)
        raw.cold()
        out["turn20_cold"].append(raw.stream(persona, prompt20)[0])
        raw.cold()
        raw.stream(persona, prompt19)
        first, rate, _ = raw.stream(persona, prompt20)
        out["turn20_live"].append(first)
        out["prompt_tokens_turn20"].append(raw.backend.last_prompt_tokens)
        out["evaluated_tokens_turn20_live"].append(raw.backend.last_evaluated_tokens)
        if rate:
            out["tokens_per_s"].append(rate)
        raw.cold()
        raw.stream(persona, prompt19, cache_key="bench-live")
        out["generate_turn20_live"].append(raw.generate_ttft(persona, turns20, "bench-live"))
    # Restored: as on the worker, another session used the context since this one's turn 19.
    sessions = [(r, *raw.transcript(r["session"], r["seq"])) for r in taking_turns]
    for i, (_r, persona, turns20) in enumerate(sessions):
        _, other_persona, other_turns = sessions[(i + 1) % len(sessions)]
        raw.cold()
        raw.stream(persona, raw.prompt(persona, turns20[:-2]), cache_key=f"bench-{i}")
        raw.stream(other_persona, raw.prompt(other_persona, other_turns[:-2]), cache_key="bench-other")
        out["turn20_restored"].append(raw.stream(persona, raw.prompt(persona, turns20), cache_key=f"bench-{i}")[0])
    return out


# --- statistics and reporting ------------------------------------------------------------------

def pct(values, q):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(values):
    values = [v for v in values if v is not None]
    return {"n": len(values), "p50": rnd(pct(values, 50)), "p95": rnd(pct(values, 95)), "max": rnd(max(values) if values else None)}


def rnd(x, digits=4):
    return None if x is None else round(x, digits)


def ws_rates(results, raw):
    """Model tokens/s after the first visible text, and token events/s, of stored socket replies."""
    tok, ev = [], []
    for r in results:
        if not r.get("ok") or r.get("first_event") is None or r["last_event"] <= r["first_event"]:
            continue
        span = r["last_event"] - r["first_event"]
        tokens = raw.count(r["text"]) - raw.count(r["first_text"]) if raw else None
        if tokens and tokens > 0:
            tok.append(tokens / span)
        if r["events"] > 1:
            ev.append((r["events"] - 1) / span)
    return tok, ev


def attach_stored(results):
    """Add the worker's own timings (generate's first_token_seconds, stored with the reply)."""
    from simulator.models import Message

    for r in results:
        if r.get("ok"):
            m = Message.objects.filter(session_id=r["session"], reply_to=r["seq"]).first()
            if m is not None:
                r.update(gen_ttft=m.first_token_seconds, gen_seconds=m.seconds, regenerations=m.regenerations,
                         fallback=m.fallback)


def ms(x):
    return "—" if x is None else f"{x * 1000:,.0f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke run (under 2 minutes)")
    parser.add_argument("--mode", choices=["celery", "embedded"], default="celery",
                        help="celery: PostgreSQL + Redis + a Celery worker; embedded: the demo (SQLite, in-process replies)")
    parser.add_argument("--server", choices=["runserver", "daphne"], default="runserver")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/pixel_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="a Redis db for the benchmark alone: it is emptied")
    parser.add_argument("--fresh-db", action="store_true", help="drop and recreate the benchmark database first")
    parser.add_argument("--think", type=float, help="mean think time in seconds (default 20)")
    parser.add_argument("--reply-timeout", type=float, default=60.0, help="seconds a reply may take before it counts as timed out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-raw", action="store_true", help="skip the direct llama-cpp-python comparison")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (one model each) for replies")
    parser.add_argument("--load-only", action="store_true", help="only the 1/4/16 concurrent-session phases")
    parser.add_argument("--no-shared-state", action="store_true", help="each worker keeps its own KV states (PIXEL_LLM_SHARED_STATE=false)")
    args = parser.parse_args()
    plan = dict(PLANS["quick" if args.quick else "full"])
    if args.think:
        plan["think"] = args.think
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="pixel-bench-")
    env = bench_env(args, workdir)
    children = []

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    began = time.monotonic()
    try:
        report = run(args, plan, env, workdir, children)
    finally:
        for child in reversed(children):
            child.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - began, 1)
    out = RESULTS / "ws_path.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {out.relative_to(ROOT)} in {report['seconds']:.0f}s")


def run(args, plan, env, workdir, children):
    prepare_database(args)
    empty_redis(args)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    own = dict(env)
    if args.mode == "embedded":
        # Fixtures are written from this process: queue their crisis checks nowhere instead of
        # running the detector here (the server checks everything the socket phases write).
        own.update({"PIXEL_CELERY_EAGER": "false", "CELERY_BROKER_URL": "memory://"})
    os.environ.clear()
    os.environ.update(own)
    import django

    django.setup()
    from django.db import connection

    run_id = uuid.uuid4().hex[:8]
    fixtures = Fixtures(run_id)
    port = free_port()
    base = f"127.0.0.1:{port}"
    print(f"mode {args.mode}, {'quick' if args.quick else 'full'} plan, server on {base}; logs in {RESULTS.relative_to(ROOT)}/ws_path-*.log",
          flush=True)
    children.extend(start_services(args, env, port))
    timeout, pause = args.reply_timeout, plan["pause"]
    report = {"mode": args.mode, "plan": "quick" if args.quick else "full", "command": " ".join([".venv/bin/python", *sys.argv]),
              "date": datetime.now(UTC).isoformat(timespec="seconds"), "cpu_count": os.cpu_count(),
              "machine": platform.machine(), "think_seconds": plan["think"], "reply_timeout": timeout,
              "llm_threads": os.environ.get("PIXEL_LLM_THREADS", "1 (default)"), "workers": args.workers,
              "shared_kv_state": not args.no_shared_state}

    def sessions(n, exchanges=0):
        pairs = [fixtures.session(exchanges) for _ in range(n)]
        connection.close()  # the async phase must not find this thread's connection mid-transaction
        return pairs

    # Warm-up: the worker loads the model (and the crisis detector) on its first tasks.
    t = time.monotonic()
    warm = asyncio.run(run_sequence(base, sessions(1), [1, 2], timeout, pause))
    report["warmup"] = {"seconds": round(time.monotonic() - t, 1), "first_reply_ttft": warm[0]["ttft"], "results": warm}
    print(f"warm-up: first reply TTFT {ms(warm[0]['ttft'])} (model load included)", flush=True)

    # One session: turn 1, and turn 20 after a live turn 19.
    turn1, turn19, turn20 = [], [], []
    for _ in range(0 if args.load_only else plan["repeats"]):
        turn1 += asyncio.run(run_sequence(base, sessions(1), [1], timeout, pause))
        r = asyncio.run(run_sequence(base, sessions(1, exchanges=18), [19, 20], timeout, pause))
        turn19.append(r[0])
        turn20.append(r[1])
    print(f"one session: TTFT turn 1 p50 {ms(pct([r['ttft'] for r in turn1], 50))}, "
          f"turn 20 p50 {ms(pct([r['ttft'] for r in turn20], 50))}", flush=True)

    # Four sessions taking turns on the worker: every reply follows another session's.
    turns_19, turns_20 = [], []
    for _ in range(0 if args.load_only else plan["groups"]):
        r = asyncio.run(run_sequence(base, sessions(4, exchanges=18), [19, 20], timeout, pause))
        turns_19 += r[:4]
        turns_20 += r[4:]
    print(f"4 sessions taking turns: TTFT turn 20 p50 {ms(pct([r['ttft'] for r in turns_20], 50))}", flush=True)

    load = []
    for n, seconds in plan["load"]:
        results, elapsed = asyncio.run(run_load(base, sessions(n), seconds, plan["think"], timeout, args.seed + n))
        ok = [r for r in results if r["ok"]]
        row = {"sessions": n, "seconds": round(elapsed, 1), "sent": len(results), "replies": len(ok),
               "replies_per_minute": round(len(ok) / (elapsed / 60), 1),
               "timeouts": sum(r["timeout"] for r in results), "errors": sum(1 for r in results if r["error"]),
               "error_codes": sorted({r["error"] for r in results if r["error"]}),
               "reconnects": sum(1 for r in results if r.get("reconnected")),
               "reconnect_reasons": sorted({r["reconnected"] for r in results if r.get("reconnected")}),
               "discards": sum(r["discards"] for r in results), "max_turn": max((r["turn"] for r in results), default=0),
               "ttft": summary([r["ttft"] for r in ok]), "results": results}
        load.append(row)
        print(f"{n:>2} concurrent: {row['replies']} replies in {elapsed:.0f}s ({row['replies_per_minute']}/min), TTFT p50 "
              f"{ms(row['ttft']['p50'])} p95 {ms(row['ttft']['p95'])}, timeouts {row['timeouts']}, errors {row['errors']}, "
              f"sockets closed by the server while idle {row['reconnects']}",
              flush=True)

    measured = turn1 + turn19 + turn20 + turns_19 + turns_20 + [r for row in load for r in row["results"]]
    attach_stored(measured)
    for child in reversed(children):  # free the cores for the direct comparison
        child.stop()
    children.clear()

    raw, raw_out = None, None
    if not (args.no_raw or args.load_only):
        print("direct llama-cpp-python on the same prompts ...", flush=True)
        raw = Raw()
        raw_out = raw_measurements(raw, [r for r in turn1 if r["ok"]], [r for r in turn20 if r["ok"]],
                                   [r for r in turns_20 if r["ok"]])
    connection.close()

    def ws_block(results):
        tok, ev = ws_rates(results, raw)
        ok = [r for r in results if r["ok"]]
        return {"ttft": summary([r["ttft"] for r in ok]), "generate_ttft": summary([r.get("gen_ttft") for r in ok]),
                "outside_generate": summary([r["ttft"] - r["gen_ttft"] for r in ok if r.get("ttft") and r.get("gen_ttft")]),
                "tokens_per_s": rnd(statistics.median(tok), 1) if tok else None,
                "events_per_s": rnd(statistics.median(ev), 1) if ev else None,
                "timeouts": sum(r["timeout"] for r in results), "errors": sum(1 for r in results if r["error"]),
                "discards": sum(r["discards"] for r in results), "results": results}

    report["one_session"] = {"turn1": ws_block(turn1), "turn19": ws_block(turn19), "turn20": ws_block(turn20)}
    report["taking_turns"] = {"turn19": ws_block(turns_19), "turn20": ws_block(turns_20)}
    for row in load:
        tok, ev = ws_rates(row["results"], raw)
        row["tokens_per_s"] = rnd(statistics.median(tok), 1) if tok else None
        row["generate_ttft"] = summary([r.get("gen_ttft") for r in row["results"] if r["ok"]])
    report["load"] = load
    if raw_out is not None:
        report["raw"] = {k: summary(v) for k, v in raw_out.items() if k != "tokens_per_s" and "tokens_turn" not in k}
        report["raw"].update({k: round(statistics.median(v)) for k, v in raw_out.items() if "tokens_turn" in k and v})
        report["raw"]["tokens_per_s"] = rnd(statistics.median(raw_out["tokens_per_s"]), 1) if raw_out["tokens_per_s"] else None
        report["raw"]["samples"] = raw_out
    report["targets"] = targets(report)
    print_table(report)
    return report


def targets(report):
    def p50(block):
        return block["ttft"]["p50"]

    raw = report.get("raw", {})
    one, turns = p50(report["one_session"]["turn20"]), p50(report["taking_turns"]["turn20"])
    live, restored = raw.get("turn20_live", {}).get("p50"), raw.get("turn20_restored", {}).get("p50")
    load16 = next((row for row in report["load"] if row["sessions"] == 16), None)
    rows = [
        ("p50 TTFT turn 20, one session", "< 150 ms", one, one is not None and one < TARGETS["ttft_turn20_p50"]),
        ("p50 TTFT turn 20, 4 sessions taking turns", "< 150 ms", turns, turns is not None and turns < TARGETS["ttft_turn20_p50"]),
    ]
    if live is not None and one is not None:
        rows.append(("path overhead at turn 20 (socket p50 − raw live-cache p50)", "≤ 30 ms", one - live, one - live <= TARGETS["overhead"]))
    if restored is not None and turns is not None:
        rows.append(("path overhead, 4 taking turns (socket p50 − raw restored p50)", "≤ 30 ms", turns - restored,
                     turns - restored <= TARGETS["overhead"]))
    if load16 is not None:
        p95 = load16["ttft"]["p95"]
        rows.append(("16 concurrent: timeouts + errors", "0", load16["timeouts"] + load16["errors"],
                     load16["timeouts"] + load16["errors"] == 0))
        rows.append(("16 concurrent: p95 TTFT", "< 5 s", p95, p95 is not None and p95 < TARGETS["load16_p95"]))
    return [{"target": name, "goal": goal, "measured": rnd(value), "met": bool(met)} for name, goal, value, met in rows]


def print_table(report):
    raw = report.get("raw", {})
    print()
    print(f"{'':52} {'TTFT p50':>10} {'TTFT p95':>10} {'tok/s':>7} {'n':>4}")

    def line(label, block, rate=None):
        if not block:
            return
        print(f"{label:52} {ms(block['p50']):>10} {ms(block['p95']):>10} {rate if rate is not None else '':>7} {block['n']:>4}")

    one, turns = report["one_session"], report["taking_turns"]
    line("socket, turn 1", one["turn1"]["ttft"], one["turn1"]["tokens_per_s"])
    line("  raw llama.cpp, same prompt, cold", raw.get("turn1_cold"))
    line("socket, turn 20 (turn 19 just before)", one["turn20"]["ttft"], one["turn20"]["tokens_per_s"])
    line("  worker's generate() alone (stored first_token_seconds)", one["turn20"]["generate_ttft"])
    line("  raw llama.cpp, same prompt, live cache", raw.get("turn20_live"), raw.get("tokens_per_s"))
    line("  raw generate() (persona guard), live cache", raw.get("generate_turn20_live"))
    line("  raw llama.cpp, same prompt, cold", raw.get("turn20_cold"))
    line("socket, turn 20, 4 sessions taking turns", turns["turn20"]["ttft"], turns["turn20"]["tokens_per_s"])
    line("  worker's generate() alone", turns["turn20"]["generate_ttft"])
    line("  raw llama.cpp, same prompt, restored state", raw.get("turn20_restored"))
    if raw.get("prompt_tokens_turn20"):
        print(f"prompt tokens (medians): turn 1 {raw.get('prompt_tokens_turn1')}, turn 20 {raw['prompt_tokens_turn20']}, "
              f"of which evaluated at turn 20 with the live cache {raw.get('evaluated_tokens_turn20_live')}")
    print()
    print(f"{'concurrent sessions':>20} {'replies/min':>12} {'TTFT p50':>10} {'TTFT p95':>10} {'max':>10} {'replies':>8} "
          f"{'timeouts':>9} {'errors':>7} {'dropped':>8} {'max turn':>9}")
    for row in report["load"]:
        print(f"{row['sessions']:>20} {row['replies_per_minute']:>12} {ms(row['ttft']['p50']):>10} {ms(row['ttft']['p95']):>10} "
              f"{ms(row['ttft']['max']):>10} {row['replies']:>8} {row['timeouts']:>9} {row['errors']:>7} {row['reconnects']:>8} {row['max_turn']:>9}")
    print()
    for t in report["targets"]:
        value = t["measured"]
        shown = ms(value) if isinstance(value, float) else value
        print(f"{'MET ' if t['met'] else 'MISSED'}  {t['target']}: {shown} (goal {t['goal']})")


if __name__ == "__main__":
    main()
