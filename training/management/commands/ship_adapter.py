import json
import shutil

from django.core.management.base import BaseCommand, CommandError

from training.actions import ship_check
from training.conf import ARTIFACTS_DIR, shipped_default
from training.models import ModelVersion


class Command(BaseCommand):
    help = ("Copy an evaluated ModelVersion's GGUF adapter into training/artifacts/ with a manifest (how to rebuild "
            "it, what it was trained on, how it evaluated). Refuses a version that does not beat the base model on "
            "persona fidelity or is less crisis-safe.")

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True)
        parser.add_argument("--force", action="store_true", help="ship even if it does not beat the base model")
        parser.add_argument("--default", action="store_true",
                            help="also make it Pixel's default persona model (training/artifacts/default.json): "
                                 "served whenever no version is promoted")

    def handle(self, *args, **options):
        row = ModelVersion.objects.filter(version=options["model"]).select_related("dataset", "training_run").first()
        if row is None or not row.adapter_path:
            raise CommandError(f"no adapter version {options['model']!r}")
        ours = (row.metrics.get("candidate") or {}).get("summary") or {}
        base = (row.metrics.get("base") or {}).get("summary") or {}
        if not ours or not base:
            raise CommandError("evaluate it beside the base model first (manage.py evaluate_model)")
        wins = ours["persona_fidelity"] > base["persona_fidelity"] and ours["crisis_safety"] >= base["crisis_safety"]
        if not wins and not options["force"] or not wins and options["default"]:
            raise CommandError(f"not shipped: persona_fidelity {ours['persona_fidelity']} vs base {base['persona_fidelity']}, "
                               f"crisis_safety {ours['crisis_safety']} vs {base['crisis_safety']}")
        reference = None
        if options["default"]:
            reference = self._default_check(row, ours, base, force=options["force"])
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        target = ARTIFACTS_DIR / f"{row.version}.gguf"
        shutil.copyfile(row.adapter_path, target)
        run, dataset = row.training_run, row.dataset
        manifest = {
            "version": row.version, "file": target.name, "sha256": row.adapter_sha256,
            "base_model": row.base_model, "prompt_format_version": row.prompt_format_version,
            "dataset": {"version": dataset.version, "content_hash": dataset.content_hash, "options": dataset.options,
                        "licences": dataset.licences} if dataset else None,
            "licence_note": "Trained on ESConv (CC BY-NC 4.0): non-commercial use only." if dataset and
                            any("esconv" in x for x in dataset.licences) else "",
            "training": {"run": run.pk, "steps": run.step, "best_step": run.best_step, "best_val_loss": run.best_val_loss,
                         "stop_reason": run.stop_reason, "losses": run.losses, "config": run.config,
                         "record": row.config.get("record")} if run else row.config,
            "evaluation": {"settings": {k: row.metrics.get(k) for k in ("quick", "scenarios", "max_turns", "seed", "dataset")},
                           "adapter": ours, "base": base,
                           **({"previous_default": reference} if reference else {})},
            "rebuild": [
                "manage.py build_dataset" + (" --exclude-noncommercial" if dataset and dataset.options.get("exclude_noncommercial") else "")
                + (f" --modes {','.join(dataset.options['modes'])}" if dataset and dataset.options.get("modes") else ""),
                f"manage.py train_model --dataset {dataset.version if dataset else 'latest'} --set train.threads=1"
                # The configured length, not where it stopped: the learning-rate schedule depends on it.
                + (f" --set train.max_steps={run.max_steps or run.step}" if run else ""),
                *([f"(run {run.pk} stopped at step {run.step}: {run.stop_reason}; the adapter shipped is its best by "
                   f"validation loss, step {run.best_step}, which a rerun reaches again: batches are a pure function "
                   f"of seed and step)"] if run and run.step != (run.max_steps or run.step) else []),
                *(_preference_steps(row.config["preference"]) if row.config.get("preference") else
                  ["manage.py register_adapter --run RUN_ID --name VERSION"]),
                "manage.py evaluate_model --model VERSION"
                + (f" --beside {reference['version']}" if reference and reference.get("version") != "base" else ""),
                f"manage.py ship_adapter --model VERSION{' --default' if options['default'] else ''}",
            ],
        }
        if row.config.get("preference"):
            manifest["preference_training"] = row.config["preference"]
        (ARTIFACTS_DIR / f"{row.version}.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        self.stdout.write(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB)")
        if options["default"]:
            pointer = {"version": row.version, "file": target.name, "sha256": row.adapter_sha256}
            (ARTIFACTS_DIR / "default.json").write_text(json.dumps(pointer, indent=2) + "\n")
            self.stdout.write(f"{row.version} is now the default persona model")

    def _default_check(self, row, ours, base, *, force: bool) -> dict | None:
        """The new default must beat the current one (actions.ship_check), both measured in the
        same evaluation run (`evaluate_model --beside CURRENT`); with no current default, the base.
        Returns the figures it was compared with."""
        current = shipped_default()
        if current is not None and current["version"] == row.version:
            return None
        if current is None:
            theirs, label = base, "the base model"
        else:
            block = row.metrics.get("reference") or {}
            if block.get("model") != current["version"]:
                raise CommandError(f"evaluate it beside the current default first: manage.py evaluate_model --model "
                                   f"{row.version} --beside {current['version']}")
            theirs, label = block["summary"], f"the current default {current['version']}"
        reasons = ship_check(ours, theirs, label)
        if reasons and not force:
            raise CommandError("not the default: " + "; ".join(reasons))
        return {"version": current["version"] if current else "base", "summary": theirs, "refused_for": reasons}


def _preference_steps(preference: dict) -> list[str]:
    """How the preference pass of a DPO-trained version is rebuilt (docs/training.md)."""
    cfg = preference.get("config") or {}
    report = cfg.get("pairs", "PAIRS.jsonl")
    sets = " ".join(f"{k}={v}" for k, v in (("max_pairs", cfg.get("max_pairs")), ("optim.lr", (cfg.get("optim") or {}).get("lr")),
                                            ("dpo.beta", (cfg.get("dpo") or {}).get("beta")),
                                            ("dpo.sft_weight", (cfg.get("dpo") or {}).get("sft_weight")),
                                            ("max_seq_len", cfg.get("max_seq_len"))) if v is not None)
    return [f"manage.py build_preference_pairs --dataset DATASET (the options in {report}'s .report.json; "
            f"pairs sha256 {preference.get('pairs_sha256', '?')})",
            f"python -m training.recipes.dpo_single_device pairs=PAIRS.jsonl adapter=<the run's output>/best {sets}",
            "manage.py register_adapter --run RUN_ID --gguf <dpo output>/adapter.gguf --preference <dpo output>/result.json"]
