from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        from modelserve.serving import register_chooser, register_labeller
        from training.serving import serving_backend, version_label

        # Replies follow the registry's promoted version (training.serving), without a restart.
        register_chooser(serving_backend)
        # Stored model ids read as the registry's version names (pages, PDF, CSV).
        register_labeller(version_label)
