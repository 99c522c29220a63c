"""Train every skill model and the suggestion index into feedback/artifacts/ (docs/feedback.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from feedback.skills import train
from feedback.skills.model import ARTIFACT_DIR


class Command(BaseCommand):
    help = "Train the skill models (AnnoMI, ESConv, EPITOME) and write artifacts plus held-out figures."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", default=str(ARTIFACT_DIR), help="Folder for the artifacts (default: feedback/artifacts)."
        )

    def handle(self, *args, **options):
        figures = train.train_all(Path(options["out"]), log=self.stdout.write)
        b, f = figures["behaviour"], figures["behaviour_fine"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Done. Held-out behaviour macro-F1 {b['macro_f1']:.3f}, kappa {b['kappa']:.3f}; "
                f"fine codes macro-F1 {f['macro_f1']:.3f}, kappa {f['kappa']:.3f}. Figures in {options['out']}/{train.FIGURES_FILE}."
            )
        )
