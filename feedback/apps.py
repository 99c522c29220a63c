from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback on skills"

    def ready(self):
        from feedback.receivers import score_stored_message
        from simulator.signals import message_stored

        message_stored.connect(score_stored_message, dispatch_uid="feedback.score_stored_message")
