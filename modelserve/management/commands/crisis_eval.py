import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modelserve.crisis import check
from modelserve.crisis.data import DataError, gaur_posts, read_rows
from modelserve.crisis.evaluate import evaluate


class Command(BaseCommand):
    help = ("Measure the crisis detector on labelled JSONL ({text, label} a line) and print JSON figures for the "
            "combined detector, rules only and ML only.")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--data", type=Path, help="JSONL file, one {text, label} object a line")
        source.add_argument("--gaur-split", choices=["train", "test"],
                            help="read PIXEL_DATA_DIR's Gaur posts.jsonl directly, keeping this split")
        parser.add_argument("--labels", choices=["cssrs", "binary"], default="cssrs",
                            help="cssrs: Gaur labels (ideation/behavior/attempt = crisis); binary: crisis/no_crisis")

    def handle(self, *args, data, gaur_split, labels, **options):
        if gaur_split:
            path, labels = gaur_posts(settings.PIXEL_DATA_DIR), "cssrs"
        else:
            path = data
        try:
            rows, skipped = read_rows(path, labels, split=gaur_split)
        except DataError as e:
            raise CommandError(str(e)) from None
        results = []
        for i, row in enumerate(rows, 1):
            results.append(check(row["text"]))
            if i % 200 == 0:
                self.stderr.write(f"{i}/{len(rows)} checked")
        report = {"data": str(path), "split": gaur_split, "labels": labels, "n": len(rows),
                  "skipped_null_label": skipped, "n_crisis": sum(r["crisis"] for r in rows),
                  "version": results[0]["version"]}
        report.update(evaluate(rows, results))
        if labels == "cssrs":
            # The posts that say something: the population of the figures in issue #4 (21% crisis).
            informative = [i for i, r in enumerate(rows) if r["label"] != "uninformative"]
            subset = evaluate([rows[i] for i in informative], [results[i] for i in informative])
            report["informative"] = {"n": len(informative), **{k: subset[k] for k in ("combined", "rules", "ml")}}
        if labels == "binary":
            for name in ("combined", "rules", "ml"):
                report[name].pop("recall_by_label", None)
        self.stdout.write(json.dumps(report, indent=2))
