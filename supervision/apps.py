from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        from feedback.objectives import register_override_reader
        from supervision.access import objective_overrides_for

        # The trainee's report (feedback, below supervision) shows supervisors' verdicts on the
        # learning objectives; it reads them through this hook.
        register_override_reader(objective_overrides_for)
