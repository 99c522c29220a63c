from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training.data import datacheck


class Command(BaseCommand):
    help = (
        "Check that PIXEL_DATA_DIR holds every licensed data set Pixel reads, each file with the SHA-256 "
        "in training/data/datasets.json; print the table (set, status, licence, commercial use, what needs "
        "it). Fails when a needed set is missing or changed (docs/data.md). Without Django: "
        "python3 -m training.data.datacheck"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--set", action="append", dest="names", metavar="NAME", help="check only this set (repeatable)"
        )
        parser.add_argument("--markdown", action="store_true", help="print the generated part of docs/data.md")

    def handle(self, *args, names, markdown, **options):
        if markdown:
            self.stdout.write(datacheck.markdown(), ending="")
            return
        try:
            ok, text = datacheck.report(settings.PIXEL_DATA_DIR, names)
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(text)
        if not ok:
            raise CommandError(
                f"licensed data missing or changed in PIXEL_DATA_DIR={settings.PIXEL_DATA_DIR} "
                f"(the table above; {datacheck.DOCS})"
            )
