import json

from django.core.management.base import BaseCommand

from modelserve import roleclf
from training.conf import data_dir
from training.roles import train_role_classifier


class Command(BaseCommand):
    help = "Retrain the role classifier (modelserve/roleclf/) on AnnoMI and ESConv speaker labels."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(roleclf.ARTIFACT_DIR))
        parser.add_argument("--limit", type=int, default=None, help="conversations a source (quick checks)")

    def handle(self, *args, **options):
        model = train_role_classifier(data_dir(), out=options["out"], limit=options["limit"])
        self.stdout.write(json.dumps({k: model.meta[k] for k in ("train_utterances", "evaluation", "out_of_role")}, indent=2))
