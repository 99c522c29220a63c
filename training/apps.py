from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        from modelserve.serving import register_chooser
        from training.serving import serving_backend

        # Replies follow the registry's promoted version (training.serving), without a restart.
        register_chooser(serving_backend)
