from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback on skills"

    def ready(self):
        from feedback.actions import do_score_message
        from feedback.receivers import score_stored_message
        from simulator.actions import register_scorer
        from simulator.signals import message_stored

        message_stored.connect(score_stored_message, dispatch_uid="feedback.score_stored_message")
        # The client's state is folded from the skill scores (simulator.clientstate).
        register_scorer(do_score_message)
