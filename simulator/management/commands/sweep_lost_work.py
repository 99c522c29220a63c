"""One pass of the sweep that `celery beat` runs every PIXEL_SWEEP_SECONDS (simulator.tasks):
for embedded mode, which has no beat (run it from cron, or with --every), and for an operator who
wants to run it now. docs/simulator.md, "Nothing lost, nothing out of order"."""

import time

from django.core.management.base import BaseCommand

from simulator import crisis_protocol, replies


class Command(BaseCommand):
    help = "Check messages whose crisis check was lost and ask again for lost replies (what beat runs)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, metavar="SECONDS", help="keep sweeping this often until stopped")

    def handle(self, *args, every=None, **options):
        while True:
            checked = crisis_protocol.sweep_unchecked()
            asked = replies.sweep_lost_replies()
            self.stdout.write(
                f"checked {len(checked)} messages whose check was lost; asked again for {len(asked)} replies"
            )
            if not every:
                return
            time.sleep(every)
