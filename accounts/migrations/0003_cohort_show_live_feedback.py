from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_append_only")]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="show_live_feedback",
            field=models.BooleanField(
                default=False,
                help_text="Show trainees the skill tags of each message during the session (docs/feedback.md). "
                "Helps novices; off by default so experienced trainees are not distracted.",
            ),
        ),
    ]
