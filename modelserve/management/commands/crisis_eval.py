import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modelserve.crisis import check
from modelserve.crisis.data import (
    DataError,
    counselling_client_turns,
    gaur_posts,
    read_rows,
    sad_sentences,
    xstest_safe_prompts,
)
from modelserve.crisis.evaluate import by_level as evaluate_by_level
from modelserve.crisis.evaluate import evaluate, graded
from modelserve.crisis.statements import statements as written_statements

DETECTORS = ("combined", "rules", "ml", "message")


class Command(BaseCommand):
    help = ("Measure the crisis detector on labelled JSONL ({text, label} a line), or on the shared negative sets "
            "(SAD, XSTest safe prompts), and print JSON figures for the combined detector, rules only and ML only.")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--data", type=Path, help="JSONL file, one {text, label} object a line")
        source.add_argument("--gaur-split", choices=["train", "test"],
                            help="read PIXEL_DATA_DIR's Gaur posts.jsonl directly, keeping this split")
        source.add_argument("--sad", choices=["train", "test"],
                            help="SAD's everyday-stress sentences of this split (PIXEL_DATA_DIR), all negatives")
        source.add_argument("--xstest", nargs="?", const="test", choices=["test", "train", "all"],
                            help="XSTest's safe prompts (PIXEL_DATA_DIR), all negatives: the held-out half "
                                 "(`test`, the default), the half the message model learns from, or all 250")
        source.add_argument("--statements", choices=["train", "test"],
                            help="the written statements with a gold level each (modelserve/crisis/statements.py), "
                                 "this split: graded figures")
        source.add_argument("--client-turns", action="store_true",
                            help="real counselling clients (ESConv test help-seekers, AnnoMI clients; PIXEL_DATA_DIR), "
                                 "all counted as negatives")
        parser.add_argument("--labels", choices=["cssrs", "binary"], default="cssrs",
                            help="cssrs: Gaur labels (ideation/behavior/attempt = crisis); binary: crisis/no_crisis")
        parser.add_argument("--by-level", action="store_true",
                            help="add recall, precision and the false-alarm rate with each level as the flag "
                                 "threshold (always on for the negative sets)")
        parser.add_argument("--without-message-model", action="store_true",
                            help="read as the detector did before the message model (rules, and the post model on "
                                 "every client message), to compare")
        parser.add_argument("--speaker", choices=["client", "trainee"], default="client",
                            help="whose words: a trainee's are read by the rules only (docs/crisis.md)")

    def handle(self, *args, data, gaur_split, sad, xstest, client_turns, statements, labels, by_level: bool, speaker,
               without_message_model, **options):
        def read(text):
            return check(text, speaker=speaker, use_message_model=not without_message_model)

        if statements:
            return self.graded(statements, speaker, read)
        negative_sets = {
            "SAD " + str(sad): lambda: sad_sentences(settings.PIXEL_DATA_DIR, sad),
            "XSTest safe prompts " + str(xstest): lambda: xstest_safe_prompts(settings.PIXEL_DATA_DIR,
                                                                               None if xstest == "all" else xstest),
            "ESConv test and AnnoMI client turns": lambda: counselling_client_turns(settings.PIXEL_DATA_DIR),
        }
        chosen = [name for name, on in zip(negative_sets, (sad, xstest, client_turns)) if on]
        try:
            if chosen:
                path = f"{settings.PIXEL_DATA_DIR} ({chosen[0]})"
                rows = negative_sets[chosen[0]]()
                skipped, labels, by_level = 0, "binary", True
            else:
                path, labels = (gaur_posts(settings.PIXEL_DATA_DIR), "cssrs") if gaur_split else (data, labels)
                rows, skipped = read_rows(path, labels, split=gaur_split)
        except DataError as e:
            raise CommandError(str(e)) from None
        results = []
        for i, row in enumerate(rows, 1):
            results.append(read(row["text"]))
            if i % 200 == 0:
                self.stderr.write(f"{i}/{len(rows)} checked")
        report = {"data": str(path), "split": gaur_split or sad or xstest, "labels": labels, "speaker": speaker, "n": len(rows),
                  "skipped_null_label": skipped, "n_crisis": sum(r["crisis"] for r in rows),
                  "version": results[0]["version"]}
        report.update(evaluate(rows, results))
        if labels == "cssrs":
            # The posts that say something: the population of the figures in issue #4 (21% crisis).
            informative = [i for i, r in enumerate(rows) if r["label"] != "uninformative"]
            subset = evaluate([rows[i] for i in informative], [results[i] for i in informative])
            report["informative"] = {"n": len(informative), **{k: subset[k] for k in DETECTORS}}
        if labels == "binary":
            for name in DETECTORS:
                report[name].pop("recall_by_label", None)
        if by_level:
            report["by_level"] = evaluate_by_level(rows, results)
        self.stdout.write(json.dumps(report, indent=2))

    def graded(self, split, speaker, read):
        rows = written_statements(split)
        results = [read(row["text"]) for row in rows]
        report = {"data": f"modelserve/crisis/statements.py ({split})", "speaker": speaker, "n": len(rows),
                  "templates": len({row["template"] for row in rows}), "version": results[0]["version"]}
        report.update(graded(rows, results))
        # Each batch of templates on its own: the first is the set earlier figures were measured on.
        report["by_batch"] = {}
        for batch in sorted({row["batch"] for row in rows}):
            mine = [i for i, row in enumerate(rows) if row["batch"] == batch]
            figures = graded([rows[i] for i in mine], [results[i] for i in mine])
            report["by_batch"][str(batch)] = {"n": len(mine), "by_level": figures["by_level"], "explicit": figures["explicit"]}
        self.stdout.write(json.dumps(report, indent=2))
