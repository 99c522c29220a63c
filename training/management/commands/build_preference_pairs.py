import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from training.conf import training_dir
from training.preference import build_pairs, failure_share, llama_sampler, write_pairs
from training.recipes.lora_single_device import read_examples, resolve_dataset


class Command(BaseCommand):
    help = ("Preference pairs against the client's failure modes (non-answers, repeats, contradictions, counsellor "
            "voice) from a dataset's training contexts: the real next client turn is chosen, the model's own failing "
            "sample (or a synthetic one) is rejected. With --measure: only the share of failing samples at held-out "
            "contexts (before and after preference training).")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", default="latest", help="a DatasetVersion name or folder (default: latest)")
        parser.add_argument("--model", default=None,
                            help="the model whose failures to collect: a ModelVersion, 'base', or a GGUF adapter file "
                                 "(default: what serves now); 'none': synthetic pairs only")
        parser.add_argument("--contexts", type=int, default=600, help="contexts the model is sampled at")
        parser.add_argument("--samples", type=int, default=2, help="samples a context")
        parser.add_argument("--per-kind", type=int, default=200, help="pairs of each failure kind at most")
        parser.add_argument("--temperature", type=float, default=None, help="default: serving's")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=None, help="JSONL path (default PIXEL_TRAINING_DIR/pairs/<dataset>-<time>.jsonl)")
        parser.add_argument("--measure", action="store_true",
                            help="only measure the failure share at --contexts held-out (valid split) contexts")

    def handle(self, *args, **options):
        try:
            folder = resolve_dataset(options["dataset"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        sampler = self._sampler(options["model"], options["temperature"])
        if options["measure"]:
            if sampler is None:
                raise CommandError("--measure needs a model")
            rows = read_examples(folder / "valid.jsonl", ("client",), options["contexts"], options["seed"])
            result = {"dataset": folder.name, "model": options["model"] or "serving", "contexts": len(rows),
                      **failure_share(rows, sampler, options["samples"])}
            self.stdout.write(json.dumps(result, indent=2))
            return
        rows = read_examples(folder / "train.jsonl", ("client",))
        counsellor = [r["completion"].strip() for r in read_examples(folder / "train.jsonl", ("counsellor",))]
        started = time.monotonic()

        def progress(done, total):
            if done % 50 == 0 or done == total:
                self.stderr.write(f"sampled {done}/{total} contexts ({time.monotonic() - started:.0f}s)")

        pairs, report = build_pairs(rows, sampler=sampler, samples_per_context=options["samples"],
                                    per_kind=options["per_kind"], contexts=options["contexts"], counsellor_lines=counsellor,
                                    seed=options["seed"], progress=progress)
        out = Path(options["out"] or training_dir() / "pairs" / f"{folder.name}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
        out.parent.mkdir(parents=True, exist_ok=True)
        digest = write_pairs(out, pairs)
        report.update(dataset=folder.name, model=options["model"] or "serving", file=str(out), sha256=digest,
                      seconds=round(time.monotonic() - started, 1))
        out.with_suffix(".report.json").write_text(json.dumps(report, indent=2) + "\n")
        self.stdout.write(json.dumps(report, indent=2))

    def _sampler(self, model, temperature):
        from modelserve.conf import load_config

        if model == "none":
            return None
        if model and model.endswith(".gguf"):
            from training.serving import _build

            if not Path(model).is_file():
                raise CommandError(f"{model} is not a file")
            backend = _build(str(Path(model).resolve()))
        else:
            from training.serving import backend_for, serving_backend

            try:
                backend = backend_for(model) if model else serving_backend()
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
        return llama_sampler(backend, temperature if temperature is not None else load_config().temperature)
