import json

from django.core.management.base import BaseCommand, CommandError

from training.actions import do_create_training_run, execute_training_run
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
            if options["set"]:
                config = load_config(run.config.get("_config_path") or None, options["set"])
                for key in ("train", "optim", "dataset", "lora", "output"):
                    run.config[key] = {**run.config.get(key, {}), **config.get(key, {})} if key != "dataset" else \
                        {**config.get(key, {}), **{k: v for k, v in run.config.get(key, {}).items() if k in ("version", "path")}}
            run.status, run.cancel_requested, run.finished_at = TrainingRun.QUEUED, False, None
            run.max_steps = int(run.config["train"].get("max_steps") or 0)
            run.save(update_fields=["config", "status", "cancel_requested", "finished_at", "max_steps"])
        else:
            qs = DatasetVersion.objects.filter(status=DatasetVersion.READY)
            dataset = qs.first() if options["dataset"] == "latest" else qs.filter(version=options["dataset"]).first()
            if dataset is None:
                raise CommandError(f"no ready dataset {options['dataset']!r}; run `manage.py build_dataset`")
            config = load_config(options["config"], options["set"])
            run = do_create_training_run(None, config=config, dataset=dataset)
        self.stdout.write(f"training run {run.pk} -> {run.output_dir}")
        if options["queue"]:
            from training.tasks import run_training

            run_training.delay(run.pk)
            self.stdout.write("queued on `training`")
            return
        run = execute_training_run(run.pk)
        if run is None:
            raise CommandError("the run is held by another worker")
        self.stdout.write(json.dumps({"run": run.pk, "status": run.status, "step": run.step, "stop_reason": run.stop_reason,
                                      "best_val_loss": run.best_val_loss, "best_step": run.best_step, "error": run.error,
                                      "model": run.models.values_list("version", flat=True).first()}, indent=2))
