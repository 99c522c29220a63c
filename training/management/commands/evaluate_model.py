import json

from django.core.management.base import BaseCommand, CommandError

from training.actions import do_record_metrics
from training.conf import shipped_default
from training.evaluation import evaluate, format_goals, format_table
from training.models import ModelVersion


class Command(BaseCommand):
    help = ("Evaluate a model version beside the base model through the serving path: persona fidelity, mode "
            "consistency, crisis safety, realism (non-answers, repeats, facts, reply length, responsiveness), "
            "perplexity and variety, and which realism goals pass (docs/training.md).")

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="a ModelVersion name, or 'base'")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--quick", action="store_true", help="two scenarios, two lines of each play (tests, smoke checks)")
        parser.add_argument("--scenarios", default=None, help="comma-separated slugs (default: the whole library)")
        parser.add_argument("--max-turns", type=int, default=None, help="play at most this many lines of each script")
        parser.add_argument("--perplexity-examples", type=int, default=None, help="held-out client turns (default 48; quick 4)")
        parser.add_argument("--no-base", action="store_true", help="skip the base model beside it")
        parser.add_argument("--beside", default=None,
                            help="also evaluate this version with the same seeds (e.g. the current default, which "
                                 "`ship_adapter --default` compares with)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-save", action="store_true", help="do not store the report on the ModelVersion")

    def handle(self, *args, **options):
        name = options["model"]
        row = None
        if name != "base":
            row = ModelVersion.objects.filter(version=name).first()
            shipped = shipped_default()
            # The adapter shipped in training/artifacts can be evaluated on any database, also one
            # where it was never registered (its report is then printed, not stored).
            if row is None and (shipped is None or shipped["version"] != name):
                raise CommandError(f"no model version {name!r}")
        scenarios = options["scenarios"].split(",") if options["scenarios"] else None

        def progress(model, slug, done, total):
            self.stderr.write(f"[{model}] {done}/{total} {slug}")

        report = evaluate(name, quick=options["quick"], scenarios=scenarios, max_turns=options["max_turns"],
                          with_base=not options["no_base"], perplexity_examples=options["perplexity_examples"],
                          seed=options["seed"], progress=progress, beside=options["beside"])
        if row is not None and not options["no_save"]:
            do_record_metrics(row, report)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(format_table(report))
            self.stdout.write("")
            self.stdout.write(format_goals(report))
