import json
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from simulator import actions, replies
from simulator.models import Message, Scenario, Session

SIM_USER = "simulate@pixel.invalid"
# play(details=True) adds these for the summary; the printed transcript leaves them out, as it
# did before there was a summary.
DETAIL_KEYS = ("reply_to", "fallback", "breaks", "state")
SUMMARY_SHOWN = ("nonanswer_rate", "repeat_rate", "fact_accuracy", "fact_consistency", "reply_words_mean",
                 "length_jsd", "disclosed")


def read_script(path):
    return [item["text"] for item in read_script_items(path)]


def read_script_items(path):
    """The script's lines as objects ({"text", ...}; a facts script's lines also carry "expect")."""
    lines = []
    try:
        raw = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise CommandError(f"Cannot read {path}: {e}") from e
    for number, line in enumerate(raw, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as e:
            raise CommandError(f"{path}:{number}: not JSON ({e})") from e
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise CommandError(f'{path}:{number}: each line must be an object with a non-empty "text"')
        lines.append(item)
    if not lines:
        raise CommandError(f"{path}: no lines to play")
    return lines


class Command(BaseCommand):
    help = "List scenarios, or play a scripted trainee through a scenario and print the transcript."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="print scenario slugs, one a line")
        parser.add_argument("--scenario", help="scenario slug")
        parser.add_argument("--script", help='JSONL file, one {"text": ...} a line')
        parser.add_argument("--interview", action="store_true",
                            help="play the first-session interview generated from the scenario's card "
                                 "(training.realism.interview) instead of a script")
        parser.add_argument("--json", action="store_true", help="print the transcript as JSON")
        parser.add_argument("--model", default=None, metavar="base|VERSION",
                            help="play the bundled base model or a registered model version (docs/training.md); "
                                 "default: the process's usual backend")

    def handle(self, *args, **options):
        if options["list"]:
            for scenario in Scenario.objects.filter(is_active=True).order_by("slug"):
                self.stdout.write(f"{scenario.slug}\t{scenario.title} (difficulty {scenario.difficulty}, {scenario.certification})")
            return
        if not options["scenario"] or bool(options["script"]) == bool(options["interview"]):
            raise CommandError("Give --list, or --scenario SLUG and one of --script FILE.jsonl or --interview")
        scenario = Scenario.objects.filter(slug=options["scenario"], is_active=True).first()
        if scenario is None:
            raise CommandError(f"No active scenario {options['scenario']!r}; see --list")
        if options["interview"]:
            from training.realism import interview

            items = interview(scenario.persona, scenario.slug)
        else:
            items = read_script_items(options["script"])
        backend = None
        if options["model"]:
            from training.serving import backend_for

            try:
                backend = backend_for(options["model"])
            except LookupError as e:
                raise CommandError(str(e)) from e
        # The details (which line a reply answers, the per-turn state) feed the summary; the
        # printed turns keep their usual keys.
        result = self.play(scenario, [item["text"] for item in items], backend=backend, details=True)
        summary = self.summary(scenario, result, items) if options["json"] or options["interview"] else None
        result["turns"] = [{k: v for k, v in turn.items() if k not in DETAIL_KEYS} for turn in result["turns"]]
        if options["json"]:
            self.stdout.write(json.dumps(result | {"summary": summary}, ensure_ascii=False, indent=2))
        else:
            for turn in result["turns"]:
                who = "TRAINEE" if turn["role"] == "trainee" else scenario.persona["name"].upper()
                extra = f"  [{turn['seconds']:.2f}s, {turn['regenerations']} regenerations]" if turn["role"] == "client" and turn["seconds"] else ""
                self.stdout.write(f"{who}: {turn['text']}{extra}")
            if summary is not None:
                self.stdout.write("summary: " + ", ".join(f"{k} {summary[k]}" for k in SUMMARY_SHOWN))

    def summary(self, scenario, result, items):
        """training.realism's figures for this transcript (non-answers, repeats, facts, length)."""
        from training.realism import summarise_transcript

        try:
            return summarise_transcript(result["turns"], scenario.persona, items)
        except ImproperlyConfigured as e:
            # A clone without the licensed data sets still gets its transcript and the other
            # figures (evaluate_model, which judges models, refuses instead).
            self.stderr.write(f"length_jsd left out: {e}")
            return summarise_transcript(result["turns"], scenario.persona, items, reference=False)

    def play(self, scenario, script, backend=None, details=False):
        """The live path without a browser: the same actions store messages, the same reply code runs."""
        user, _ = User.objects.get_or_create(email=SIM_USER, defaults={"full_name": "Scripted trainee"})
        for stale in Session.objects.filter(trainee=user, status__in=Session.OPEN_STATUSES):
            stale.end(None, "replaced by a new scripted run")
        session = Session.objects.create(trainee=user, scenario_version=scenario.snapshot())
        opening = scenario.persona.get("opening_line", "").strip()
        if opening:
            session.append(Message.CLIENT, opening)
        # A script plays faster than a person types; the per-minute limit is for people.
        settings.PIXEL_MESSAGES_PER_MINUTE = 10**6
        protocol_pauses = []
        try:
            for text in script:
                message, _ = actions.do_post_trainee_message(user, session, uuid.uuid4().hex, text)
                session.refresh_from_db()
                if session.status == Session.PAUSED:
                    # The crisis protocol paused it on the trainee's line (docs/crisis.md). A script
                    # is not a person in distress: note it, as a supervisor would resume, play on.
                    protocol_pauses.append(message.seq)
                    session.resume()
                replies.generate_reply(session.pk, message.seq, backend=backend)
        finally:
            session.end(None, "scripted run finished")
        model = session.messages.filter(role=Message.CLIENT).exclude(model_name="").values_list("model_name", flat=True).first()
        states = dict(session.messages.filter(role=Message.TRAINEE).values_list("seq", "client_state"))
        turns = [
            {"role": m.role, "text": m.text, "seconds": m.seconds or 0.0, "regenerations": m.regenerations}
            # details: what training's evaluate_model scores (which trainee line a reply answers,
            # the persona guard's catches, the fallback) beside the transcript.
            | ({"reply_to": m.reply_to, "fallback": m.fallback, "breaks": m.guard_breaks} if details else {})
            # and the client's state after the trainee line this reply answers (simulator.clientstate).
            | ({"state": states.get(m.reply_to) or {}} if details and m.role == Message.CLIENT else {})
            for m in session.messages.order_by("seq")
        ]
        return {"scenario": scenario.slug, "model": model or "", "turns": turns, "protocol_pauses": protocol_pauses}
