"""Measure the committed skill models on the held-out conversations (docs/feedback.md)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from feedback.skills import train
from feedback.skills.model import ARTIFACT_DIR


class Command(BaseCommand):
    help = "Per-class precision, recall, F1, macro-F1 and Cohen's kappa of each skill model on held-out data."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
        parser.add_argument("--artifacts", default=str(ARTIFACT_DIR))

    def handle(self, *args, **options):
        figures = train.evaluate(Path(options["artifacts"]))
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2, sort_keys=True))
            return
        sections = [
            ("behaviour", "Main behaviour (AnnoMI held-out transcripts)", figures["behaviour"]),
            ("behaviour_fine", "Fine codes (AnnoMI held-out transcripts)", figures["behaviour_fine"]),
            ("affirmation", "Affirmation detector (ESConv test split)", figures["affirmation"]),
        ]
        sections += [
            (d, f"Empathy: {d.replace('_', ' ')} (EPITOME held-out seeker posts)", m)
            for d, m in figures["empathy"].items()
        ]
        for _, title, m in sections:
            self.stdout.write(self.style.MIGRATE_HEADING(title))
            self.stdout.write(
                f"  n={m['n']}  accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  kappa {m['kappa']:.3f}"
            )
            self.stdout.write(f"  {'class':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
            for c, v in m["classes"].items():
                self.stdout.write(
                    f"  {c:<22}{v['precision']:>10.3f}{v['recall']:>8.3f}{v['f1']:>7.3f}{v['support']:>9}"
                )
        self.stdout.write(self.style.MIGRATE_HEADING("Reference figures"))
        for key, refs in figures["references"].items():
            for ref in refs:
                shown = {k: v for k, v in ref.items() if k not in ("what",)}
                self.stdout.write(f"  [{key}] {ref['what']}: {json.dumps(shown)}")
