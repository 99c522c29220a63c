"""Nothing lost, nothing duplicated, under faults (issue 16, item 16).

    .venv/bin/python benchmarks/faults.py             # 4 sessions, about 4 minutes
    .venv/bin/python benchmarks/faults.py --sessions 8 --messages 8

Several trainees' clients talk to a real server on loopback while the run breaks things under them:
it kills the inference worker with SIGKILL in the middle of a reply (and starts another), restarts
Redis (a Redis of its own, without persistence, so its queues and channel groups are lost), and
drops every socket. Each client behaves as session.js does: it keeps every message it has sent
until the server acknowledges it, and on reconnecting sends `resume` and the unacknowledged
messages again (same ids). A client that has waited --reply-timeout seconds for a reply moves on.

At the end (after the sweep has had time to run) it counts, from the database, against what the
clients sent:

- lost: sent messages never stored; duplicated: stored more than once;
- unanswered: trainee messages that are the latest of their session and have no reply (a reply to
  an earlier message is not written once a newer one exists, by design: docs/simulator.md);
  double replies: more than one reply to one message;
- unchecked: stored messages the crisis check never finished.

Goal: all five 0. Prints a table and writes benchmarks/results/faults.json; the server's, workers'
and beat's logs go beside it. Needs PostgreSQL on 127.0.0.1:5432 and redis-server on PATH; the
replies come from the scripted model (PIXEL_LLM_BACKEND=fake, a pause between words so a kill lands
mid-reply), since the faults, not the model, are what is measured; the crisis check is the real one.
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ws_path  # noqa: E402
from ws_path import RESULTS, ROOT, Fixtures, free_port, prepare_database  # noqa: E402

LINES = [
    "What brings you in today?",
    "How has your sleep been lately?",
    "What do you notice in your body when the worry starts?",
    "Who do you talk to when things get hard?",
    "What would you like to be different a month from now?",
    "How does work fit into all this?",
    "What has helped even a little?",
    "What happens at night, when you cannot sleep?",
]


class Child(ws_path.Child):
    """ws_path's child process, logging to faults-NAME.log (appended: a restarted worker or Redis
    keeps its predecessor's log), that can also be killed outright."""

    def __init__(self, name, argv, env):
        super().__init__(name, argv, env, prefix="faults", mode="a")

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Services:
    def __init__(self, env, redis_port, server_port, workdir):
        self.env, self.redis_port, self.server_port, self.workdir = env, redis_port, server_port, workdir
        self.children = {}
        self.ready_marks = {}

    def start_redis(self):
        child = Child("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"], self.env)  # fmt: skip
        mark = child.output().count("Ready to accept connections")
        child.wait_for(lambda: child.output().count("Ready to accept connections") > mark, 20)
        self.children["redis"] = child

    def start_worker(self, name, queues):
        child = Child(name, [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-P", "solo",
                             "-n", f"faults-{name}-{time.monotonic_ns()}@localhost", "-l", "info"], self.env)  # fmt: skip
        mark = child.output().count(" ready.")
        child.wait_for(lambda: child.output().count(" ready.") > mark, 120)
        self.children[name] = child

    def start_all(self):
        self.start_redis()
        server = Child("server", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.server_port}",
                                  "--noreload"], self.env)  # fmt: skip
        self.children["server"] = server

        def listening():
            import socket

            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.server_port)) == 0

        server.wait_for(listening, 60)
        self.start_worker("safety", "safety,default")
        self.start_worker("inference", "inference")
        beat = Child("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info",
                              "-s", str(Path(self.workdir) / "beat-schedule")], self.env)  # fmt: skip
        self.children["beat"] = beat

    def stop_all(self):
        for child in reversed(list(self.children.values())):
            child.stop()


class Client:
    """One trainee's browser, as session.js behaves: resend what is unacknowledged on reconnect."""

    def __init__(self, base, session, cookie, messages, reply_timeout):
        self.url = f"ws://{base}/ws/sessions/{session.pk}/"
        self.origin = f"http://{base}"
        self.cookie = cookie
        self.session_id = str(session.pk)
        self.messages = messages
        self.reply_timeout = reply_timeout
        self.ws = None
        self.sent = []  # ids, in order
        self.unacked = {}  # id -> text
        self.acked = {}  # id -> seq
        self.replied = set()  # trainee seqs whose reply arrived
        self.last_seq = 0
        self.reconnects = 0
        self.waited_out = 0
        self.errors = []

    async def connect(self):
        from websockets.asyncio.client import connect

        while True:
            try:
                self.ws = await connect(self.url, origin=self.origin, additional_headers={"Cookie": f"sessionid={self.cookie}"},
                                        compression=None, proxy=None, open_timeout=10, max_queue=None)  # fmt: skip
                await self.ws.send(json.dumps({"type": "resume", "after": self.last_seq}))
                for msg_id, text in list(self.unacked.items()):
                    await self.ws.send(json.dumps({"type": "message", "id": msg_id, "text": text}))
                return
            except Exception as e:  # noqa: BLE001 - the server or Redis is down: try again, as the page does
                self.errors.append(f"connect: {type(e).__name__}")
                await asyncio.sleep(1)

    async def drop(self):
        if self.ws is not None:
            await self.ws.close()

    def handle(self, event):
        kind = event.get("type")
        if kind == "ack":
            self.unacked.pop(event.get("id"), None)
            self.acked[event.get("id")] = event.get("seq")
        elif kind == "message":
            self.last_seq = max(self.last_seq, event.get("seq") or 0)
            if event.get("role") == "client" and event.get("reply_to"):
                self.replied.add(event["reply_to"])
        elif kind == "error":
            self.errors.append(f"error {event.get('code')}")

    async def wait_reply(self, msg_id):
        deadline = time.monotonic() + self.reply_timeout
        while time.monotonic() < deadline:
            seq = self.acked.get(msg_id)
            if seq is not None and seq in self.replied:
                return True
            try:
                raw = await asyncio.wait_for(self.ws.recv(), 1.0)
                self.handle(json.loads(raw))
            except TimeoutError:
                continue
            except Exception as e:  # noqa: BLE001 - a dropped socket: reconnect and resume
                self.errors.append(f"recv: {type(e).__name__}")
                self.reconnects += 1
                await self.connect()
        self.waited_out += 1
        return False

    async def run(self):
        await self.connect()
        for i in range(self.messages):
            msg_id = uuid.uuid4().hex
            text = LINES[i % len(LINES)]
            self.sent.append(msg_id)
            self.unacked[msg_id] = text
            try:
                await self.ws.send(json.dumps({"type": "message", "id": msg_id, "text": text}))
            except Exception:  # noqa: BLE001 - kept in unacked: sent again on reconnect
                pass
            await self.wait_reply(msg_id)
            await asyncio.sleep(0.5)
        await self.drop()


async def inject_faults(services, clients, log):
    t0 = time.monotonic()

    def note(what):
        log.append({"at_s": round(time.monotonic() - t0, 1), "fault": what})
        print(f"  {log[-1]['at_s']:6.1f}s  {what}", flush=True)

    await asyncio.sleep(6)
    services.children["inference"].kill()
    note("SIGKILL the inference worker (mid-reply: replies stream for several seconds)")
    await asyncio.sleep(3)
    await asyncio.to_thread(services.start_worker, "inference", "inference")
    note("a new inference worker is ready")
    await asyncio.sleep(12)
    services.children["redis"].stop()
    note("Redis stopped (queues, channel groups and cache gone)")
    await asyncio.sleep(3)
    await asyncio.to_thread(services.start_redis)
    note("Redis started again, empty")
    await asyncio.sleep(15)
    for client in clients:
        await client.drop()
    note("every socket dropped")


def count(sent_by_session):
    """What the database holds against what the clients sent."""
    from simulator.models import Message

    report = {"sent": 0, "stored": 0, "lost": 0, "duplicated": 0, "unanswered": 0, "double_replies": 0,
              "unchecked": 0, "replies": 0, "superseded": 0}  # fmt: skip
    for session_id, ids in sent_by_session.items():
        messages = list(Message.objects.filter(session_id=session_id).order_by("seq"))
        trainee = [m for m in messages if m.role == Message.TRAINEE]
        stored_ids = [m.client_msg_id for m in trainee]
        report["sent"] += len(ids)
        report["stored"] += sum(1 for i in ids if i in stored_ids)
        report["lost"] += sum(1 for i in ids if i not in stored_ids)
        report["duplicated"] += sum(stored_ids.count(i) - 1 for i in set(ids) if stored_ids.count(i) > 1)
        replies = {}
        for m in messages:
            if m.role == Message.CLIENT and m.reply_to:
                replies[m.reply_to] = replies.get(m.reply_to, 0) + 1
        report["replies"] += sum(replies.values())
        report["double_replies"] += sum(n - 1 for n in replies.values() if n > 1)
        if trainee and not replies.get(trainee[-1].seq):
            report["unanswered"] += 1
        # Not answered before the trainee wrote again (the client gave up waiting): no reply comes
        # after that, by design. Counted apart: it is a late reply, not a lost message.
        report["superseded"] += sum(1 for m in trainee[:-1] if not replies.get(m.seq))
        report["unchecked"] += sum(1 for m in messages if m.crisis_checked_at is None)
    return report


async def settle(sent_by_session, seconds):
    """Wait (up to SECONDS) for the sweep to finish what the faults left undone."""
    from asgiref.sync import sync_to_async

    deadline = time.monotonic() + seconds
    while True:
        report = await sync_to_async(count)(sent_by_session)
        if time.monotonic() > deadline or not (report["unanswered"] or report["unchecked"]):
            return report
        await asyncio.sleep(3)


async def scenario(args, services, fixtures, base):
    from asgiref.sync import sync_to_async

    pairs = [await sync_to_async(fixtures.session)() for _ in range(args.sessions)]
    clients = [Client(base, s, c, args.messages, args.reply_timeout) for s, c in pairs]
    faults = []
    started = time.monotonic()
    tasks = [asyncio.create_task(c.run()) for c in clients]
    injector = asyncio.create_task(inject_faults(services, clients, faults))
    await asyncio.wait_for(asyncio.gather(*tasks), args.seconds)
    await injector
    talk_seconds = time.monotonic() - started
    sent = {c.session_id: c.sent for c in clients}
    report = await settle(sent, args.settle)
    report.update(
        faults=faults,
        talk_seconds=round(talk_seconds, 1),
        reconnects=sum(c.reconnects for c in clients),
        client_errors=sorted({e for c in clients for e in c.errors}),
        replies_seen_live=sum(len(c.replied) for c in clients),
        waited_out=sum(c.waited_out for c in clients),
    )
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--messages", type=int, default=6, help="trainee messages per session")
    parser.add_argument("--reply-timeout", type=float, default=45.0)
    parser.add_argument("--seconds", type=float, default=420.0, help="bound on the talking phase")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to wait for the sweep afterwards")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/pixel_faults")
    parser.add_argument("--fresh-db", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for old in RESULTS.glob("faults-*.log"):
        old.unlink()
    workdir = tempfile.mkdtemp(prefix="pixel-faults-")
    redis_port, server_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIXEL_", "DATABASE_URL", "REDIS_URL", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": args.database_url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PIXEL_LLM_BACKEND": "fake", "PIXEL_FAKE_LLM_DELAY_MS": "150",
        "PIXEL_SWEEP_SECONDS": "5", "PIXEL_CRISIS_SWEEP_AFTER_SECONDS": "15", "PIXEL_REPLY_STALE_SECONDS": "20",
        "PIXEL_MESSAGES_PER_MINUTE": "100000", "PIXEL_LOG_LEVEL": "INFO",
    })  # fmt: skip
    prepare_database(argparse.Namespace(mode="celery", database_url=args.database_url, fresh_db=args.fresh_db))
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    services = Services(env, redis_port, server_port, workdir)
    began = time.monotonic()
    try:
        services.start_all()
        os.environ.clear()
        os.environ.update(env)
        import django

        django.setup()
        fixtures = Fixtures(uuid.uuid4().hex[:8])
        print(f"{args.sessions} sessions x {args.messages} messages; faults:", flush=True)
        report = asyncio.run(scenario(args, services, fixtures, f"127.0.0.1:{server_port}"))
    finally:
        services.stop_all()
    report.update(
        sessions=args.sessions,
        messages_per_session=args.messages,
        seconds=round(time.monotonic() - began, 1),
        goal_met=all(report[k] == 0 for k in ("lost", "duplicated", "unanswered", "double_replies", "unchecked")),
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=f"{platform.node()} ({os.cpu_count()} cores)",
    )
    print()
    print(f"{'sent':>6} {'stored':>7} {'lost':>5} {'dup':>4} {'replies':>8} {'unanswered':>11} "
          f"{'double':>7} {'unchecked':>10} {'superseded':>11} {'reconnects':>11}")  # fmt: skip
    print(f"{report['sent']:>6} {report['stored']:>7} {report['lost']:>5} {report['duplicated']:>4} "
          f"{report['replies']:>8} {report['unanswered']:>11} {report['double_replies']:>7} "
          f"{report['unchecked']:>10} {report['superseded']:>11} {report['reconnects']:>11}")  # fmt: skip
    print(f"superseded: replies not written because the trainee wrote again after waiting "
          f"{args.reply_timeout:.0f} s ({report['waited_out']} waits ran out)")
    print(f"goal (0 lost, 0 duplicated, every message answered once and checked): {'met' if report['goal_met'] else 'NOT met'}")
    out = RESULTS / "faults.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {out.relative_to(ROOT)} in {report['seconds']:.0f}s")
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
