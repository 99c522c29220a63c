import json
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from modelserve.lora_export import export_peft_adapter
from training.actions import do_register_model
from training.models import TrainingRun


class Command(BaseCommand):
    help = ("Register an adapter as a ModelVersion: a training run's best adapter so far (exported to GGUF; the run "
            "may still be training) or a GGUF adapter file.")

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="a TrainingRun id: export its best/ adapter")
        parser.add_argument("--gguf", help="a GGUF LoRA adapter file")
        parser.add_argument("--name", default=None, help="registry name (default lora-<date>-<sha8>)")
        parser.add_argument("--notes", default="")
        parser.add_argument("--preference", default=None, metavar="RESULT_JSON",
                            help="the result.json of a preference (DPO) run that made the --gguf adapter; with --run "
                                 "naming the supervised run it started from, the version keeps both in its record")

    def handle(self, *args, **options):
        run, dataset, config = None, None, {}
        if options["gguf"] and options["preference"]:
            # A preference-trained adapter: the file is the DPO run's export, the lineage is the
            # supervised run it started from.
            gguf = Path(options["gguf"])
            result_path = Path(options["preference"])
            if not gguf.is_file() or not result_path.is_file():
                raise CommandError(f"{gguf} or {result_path} is not a file")
            run = TrainingRun.objects.filter(pk=options["run"]).first() if options["run"] else None
            if options["run"] and run is None:
                raise CommandError(f"no training run {options['run']}")
            preference = {k: v for k, v in json.loads(result_path.read_text()).items() if k != "history"}
            dataset = run.dataset if run else None
            config = {**(run.config if run else {}), "preference": preference}
            row = do_register_model(None, adapter_path=gguf, version=options["name"], dataset=dataset, training_run=run,
                                    config=config, trained_by=run.created_by if run else None, notes=options["notes"])
            self.stdout.write(f"{row.version}\t{row.adapter_path}\t{row.adapter_sha256}")
            return
        if options["run"]:
            run = TrainingRun.objects.filter(pk=options["run"]).first()
            if run is None:
                raise CommandError(f"no training run {options['run']}")
            best = Path(run.output_dir) / "best"
            if not (best / "adapter_model.safetensors").exists():
                raise CommandError(f"run {run.pk} has no best adapter yet")
            tmp = Path(tempfile.mkdtemp())
            # The trainer may replace best/ at any moment: work on a copy.
            shutil.copytree(best, tmp / "best")
            gguf = export_peft_adapter(tmp / "best", tmp / "adapter.gguf", arch="gemma3", n_layers=18,
                                       metadata={"pixel.training_run": run.pk, "pixel.best_step": run.best_step or 0,
                                                 "pixel.dataset": run.dataset.version if run.dataset else ""})
            dataset, config = run.dataset, {**run.config, "best_step": run.best_step, "best_val_loss": run.best_val_loss}
        elif options["gguf"]:
            gguf = Path(options["gguf"])
            if not gguf.is_file():
                raise CommandError(f"{gguf} is not a file")
        else:
            raise CommandError("give --run ID or --gguf PATH")
        row = do_register_model(None, adapter_path=gguf, version=options["name"], dataset=dataset, training_run=run,
                                config=config, trained_by=run.created_by if run else None,
                                notes=options["notes"] or (f"run {run.pk} best at step {run.best_step}" if run else ""))
        self.stdout.write(f"{row.version}\t{row.adapter_path}\t{row.adapter_sha256}")
