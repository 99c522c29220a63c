import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from training.actions import do_build_dataset
from training.data.build import BuildOptions
from training.data.sources import SOURCES


class Command(BaseCommand):
    help = "Build a versioned training dataset from the licensed corpora (docs/training.md)."

    def add_arguments(self, parser):
        parser.add_argument("--exclude-noncommercial", action="store_true",
                            help="drop sources whose licence forbids commercial use (ESConv, CC BY-NC)")
        parser.add_argument("--limit", type=int, default=None, help="at most N conversations per source")
        parser.add_argument("--sources", default=",".join(SOURCES), help=f"comma-separated, from {', '.join(SOURCES)}")
        parser.add_argument("--jsonl", action="append", default=[], metavar="PATH[:LICENCE[:commercial]]",
                            help="a generic chat JSONL file to add (see training/data/sources.py)")
        parser.add_argument("--modes", default="client,counsellor")
        parser.add_argument("--quality-threshold", type=float, default=BuildOptions.quality_threshold)
        parser.add_argument("--near-dup-threshold", type=float, default=BuildOptions.near_dup_threshold)
        parser.add_argument("--max-context-turns", type=int, default=BuildOptions.max_context_turns)
        parser.add_argument("--max-prompt-chars", type=int, default=BuildOptions.max_prompt_chars)
        parser.add_argument("--max-target-repeats", type=int, default=BuildOptions.max_target_repeats,
                            help="keep a client turn that occurs word for word more often than this only this often "
                                 "(0: no limit)")
        parser.add_argument("--keep-repeated-targets", action="store_true",
                            help="also learn turns that repeat what the same speaker said earlier in the conversation")
        parser.add_argument("--valid-fraction", type=float, default=BuildOptions.valid_fraction)
        parser.add_argument("--out", default=None, help="dataset root (default PIXEL_TRAINING_DIR/datasets)")
        parser.add_argument("--json", action="store_true", help="print the manifest as JSON")

    def handle(self, *args, **options):
        if options["max_target_repeats"] is not None and options["max_target_repeats"] < 0:
            raise CommandError("--max-target-repeats must be 0 (no limit) or more")
        sources = [s for s in options["sources"].split(",") if s]
        unknown = set(sources) - set(SOURCES)
        if unknown:
            raise CommandError(f"unknown sources: {', '.join(sorted(unknown))}")
        extra = []
        for item in options["jsonl"]:
            path, _, rest = item.partition(":")
            licence, _, commercial = rest.partition(":")
            extra.append({"path": path, "name": Path(path).stem, "licence": licence or "unknown",
                          "commercial": commercial == "commercial"})
        build = BuildOptions(sources=sources, exclude_noncommercial=options["exclude_noncommercial"],
                             limit=options["limit"], extra_jsonl=extra, modes=options["modes"].split(","),
                             quality_threshold=options["quality_threshold"],
                             near_dup_threshold=options["near_dup_threshold"], valid_fraction=options["valid_fraction"],
                             max_context_turns=options["max_context_turns"], max_prompt_chars=options["max_prompt_chars"],
                             max_target_repeats=options["max_target_repeats"] or None,
                             drop_repeated_targets=not options["keep_repeated_targets"])
        bars = {}

        def progress(stage, done, total):
            from tqdm import tqdm

            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(total=total or None, desc=stage, unit="conv", file=self.stderr._out, leave=False)
            bar = bars[stage]
            if total:
                bar.total = total
                bar.n = done
                bar.refresh()

        row = do_build_dataset(None, options=build, out_root=options["out"], progress=progress)
        for bar in bars.values():
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(row.manifest, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"{row.version}: {row.train_examples} train / {row.valid_examples} valid examples in {row.path}")
        for step in row.manifest["steps"]:
            unit = "conversations" if "conversations" in step["after"] else "examples"
            before = step["before"][unit] if step["before"] else "-"
            self.stdout.write(f"  {step['step']:<22} {before!s:>6} -> {step['after'][unit]:>6} {unit}")
        self.stdout.write(f"  licences: {'; '.join(row.licences)}")
