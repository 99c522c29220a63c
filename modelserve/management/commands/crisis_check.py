import json

from django.core.management.base import BaseCommand

from modelserve.crisis import SPEAKERS, check


class Command(BaseCommand):
    help = "Run the crisis detector on one message and print the result as JSON."

    def add_arguments(self, parser):
        parser.add_argument("text")
        parser.add_argument("--speaker", choices=SPEAKERS, default="client")

    def handle(self, *args, text, speaker, **options):
        self.stdout.write(json.dumps(check(text, speaker=speaker), indent=2, ensure_ascii=False))
