import json

import yaml
from django.core.management.base import BaseCommand, CommandError

from training.actions import do_create_training_run, do_resume_training_run, execute_training_run
from training.models import DatasetVersion, TrainingRun
from training.recipes.lora_single_device import load_config


class Command(BaseCommand):
    help = "Fine-tune a LoRA adapter with the single-device recipe, recorded as a TrainingRun (docs/training.md)."

    def add_arguments(self, parser):
        parser.add_argument("--config", default=None, help="recipe YAML (default training/configs/gemma3_270m_lora.yaml)")
        parser.add_argument("--dataset", default="latest", help="DatasetVersion name, or 'latest'")
        parser.add_argument("--resume", type=int, default=None, metavar="RUN_ID",
                            help="continue a run from its last checkpoint (more steps: --set train.max_steps=N)")
        parser.add_argument("--queue", action="store_true", help="queue on the Celery `training` queue instead of running here")
        parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")

    def handle(self, *args, **options):
        if options["resume"]:
            run = TrainingRun.objects.filter(pk=options["resume"]).first()
            if run is None:
                raise CommandError(f"no training run {options['resume']}")
            # Only the keys given change: the run's own settings (its LoRA rank, its batch) stay,
            # or the checkpoint would not fit the model it is loaded into.
            run = do_resume_training_run(None, run, config=resumed_config(run.config, options["set"]),
                                         queue=options["queue"])
        else:
            qs = DatasetVersion.objects.filter(status=DatasetVersion.READY)
            dataset = qs.first() if options["dataset"] == "latest" else qs.filter(version=options["dataset"]).first()
            if dataset is None:
                raise CommandError(f"no ready dataset {options['dataset']!r}; run `manage.py build_dataset`")
            config = load_config(options["config"], options["set"])
            run = do_create_training_run(None, config=config, dataset=dataset, queue=options["queue"])
        self.stdout.write(f"training run {run.pk} -> {run.output_dir}")
        if options["queue"]:
            self.stdout.write("queued on `training`")
            return
        run = execute_training_run(run.pk)
        if run is None:
            raise CommandError("the run is held by another worker")
        self.stdout.write(json.dumps({"run": run.pk, "status": run.status, "step": run.step, "stop_reason": run.stop_reason,
                                      "best_val_loss": run.best_val_loss, "best_step": run.best_step, "error": run.error,
                                      "model": run.models.values_list("version", flat=True).first()}, indent=2))


# What a resumed run may not change: the adapter's shape and the data its batches are drawn from.
FIXED_ON_RESUME = ("lora.", "model.", "dataset.version", "dataset.path", "dataset.packed", "dataset.modes",
                   "train.batch_size", "train.grad_accum", "train.seed")


def resumed_config(config: dict, overrides: list[str]) -> dict:
    """CONFIG (a run's stored config) with the "dotted.key=value" OVERRIDES applied, and nothing else."""
    config = json.loads(json.dumps(config))
    for item in overrides:
        key, _, value = item.partition("=")
        key = key.strip()
        if key.startswith(FIXED_ON_RESUME):
            raise CommandError(f"{key} cannot change when a run resumes (its checkpoint depends on it)")
        node = config
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return config
