from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modelserve.crisis import message_model
from modelserve.crisis import model as crisis_model
from modelserve.crisis.data import DataError, gaur_posts
from modelserve.crisis.message_train import train as train_message_model
from modelserve.crisis.train import train


class Command(BaseCommand):
    help = ("Train a crisis model and write its artifact and cross-validated figures: the Gaur post model "
            "(default) or, with --message, the message-level model (docs/crisis.md).")

    def add_arguments(self, parser):
        parser.add_argument("--message", action="store_true",
                            help="train the message-level model (written statements + ordinary talk from PIXEL_DATA_DIR)")
        parser.add_argument("--out", type=Path, default=None,
                            help=f"directory for the artifact (default {crisis_model.ARTIFACT_DIR})")
        parser.add_argument("--data", type=Path, default=None, help="posts.jsonl for the post model (default: under PIXEL_DATA_DIR)")

    def handle(self, *args, message, out, data, **options):
        log = self.stdout.write
        try:
            if message:
                meta = train_message_model(settings.PIXEL_DATA_DIR, out or message_model.ARTIFACT_DIR, log=log)
                for level, recall in meta["held_out"]["recall"].items():
                    rates = ", ".join(f"{source} {r[level]:.3f}" for source, r in meta["calibration_flag_rate"].items())
                    log(f"{level:8} threshold {meta['thresholds'][level]:.3f}: calibration talk flagged {rates}; "
                        f"held-out recall {recall:.3f}")
                return
            meta = train(data or gaur_posts(settings.PIXEL_DATA_DIR), out or crisis_model.ARTIFACT_DIR, log=log)
        except DataError as e:
            raise CommandError(str(e)) from None
        cv = meta["cv"]
        for name in ("combined", "rules", "ml"):
            f = cv[name]
            log(f"CV {name:8} recall {f['recall']:.3f} precision {f['precision']:.3f} F1 {f['f1']:.3f}")
