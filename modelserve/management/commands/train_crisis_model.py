from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modelserve.crisis import model as crisis_model
from modelserve.crisis.data import DataError, gaur_posts
from modelserve.crisis.train import train


class Command(BaseCommand):
    help = "Train the crisis ML model on the Gaur et al. train split and write the artifact and its CV figures."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, default=crisis_model.ARTIFACT_DIR,
                            help=f"directory for crisis_model.npz/.json (default {crisis_model.ARTIFACT_DIR})")
        parser.add_argument("--data", type=Path, default=None, help="posts.jsonl (default: under PIXEL_DATA_DIR)")

    def handle(self, *args, out, data, **options):
        posts = data or gaur_posts(settings.PIXEL_DATA_DIR)
        try:
            meta = train(posts, out, log=lambda line: self.stdout.write(line))
        except DataError as e:
            raise CommandError(str(e)) from None
        cv = meta["cv"]
        for name in ("combined", "rules", "ml"):
            f = cv[name]
            self.stdout.write(f"CV {name:8} recall {f['recall']:.3f} precision {f['precision']:.3f} F1 {f['f1']:.3f}")
