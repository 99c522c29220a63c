"""Play a scripted trainee through a scenario and print the transcript (and realism figures).

It lives in the training app because it measures the persona model: its summary is
training.realism's, and --model plays a registered version (training.serving). The play itself is
the simulator's scripted-run action (training.scripted.play).
"""

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from simulator.models import Scenario
from training.realism import interview, summarise_transcript
from training.scripted import DETAIL_KEYS, ScriptError, play, read_script_items
from training.serving import backend_for

SUMMARY_SHOWN = ("nonanswer_rate", "repeat_rate", "fact_accuracy", "fact_consistency", "reply_words_mean",
                 "length_jsd", "disclosed")


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
            items = interview(scenario.persona, scenario.slug)
        else:
            try:
                items = read_script_items(options["script"])
            except ScriptError as e:
                raise CommandError(str(e)) from e
        backend = None
        if options["model"]:
            try:
                backend = backend_for(options["model"])
            except LookupError as e:
                raise CommandError(str(e)) from e
        # The details (which line a reply answers, the per-turn state) feed the summary; the
        # printed turns keep their usual keys.
        result = play(scenario, [item["text"] for item in items], backend=backend, details=True)
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
        try:
            return summarise_transcript(result["turns"], scenario.persona, items)
        except ImproperlyConfigured as e:
            # A clone without the licensed data sets still gets its transcript and the other
            # figures (evaluate_model, which judges models, refuses instead).
            self.stderr.write(f"length_jsd left out: {e}")
            return summarise_transcript(result["turns"], scenario.persona, items, reference=False)
