from django.core.management.base import BaseCommand, CommandError

from simulator.library import LibraryError, load_library


class Command(BaseCommand):
    help = "Load simulator/scenario_library/*.json into the database (new versions for changed cards)."

    def add_arguments(self, parser):
        parser.add_argument("--folder", help="another library folder")

    def handle(self, *args, folder=None, **options):
        try:
            results = load_library(folder)
        except LibraryError as e:
            raise CommandError(str(e)) from e
        for slug, what in results.items():
            self.stdout.write(f"{what:<8} {slug}")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} scenarios in the library."))
