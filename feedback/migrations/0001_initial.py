import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("simulator", "0003_recording")]

    operations = [
        migrations.CreateModel(
            name="MessageScore",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveIntegerField()),
                ("main", models.CharField(help_text="AnnoMI main behaviour: reflection, question, therapist_input, other.", max_length=20)),
                ("code", models.CharField(choices=[("open_question", "Open question"), ("closed_question", "Closed question"), ("simple_reflection", "Simple reflection"), ("complex_reflection", "Complex reflection"), ("affirmation", "Affirmation"), ("giving_information", "Giving information"), ("advice", "Advice"), ("other", "Other")], max_length=30)),
                ("confidence", models.FloatField(help_text="The behaviour model's probability for the main behaviour.")),
                ("asked_permission", models.BooleanField(blank=True, help_text="For advice: whether permission was asked.", null=True)),
                ("emotional_reactions", models.PositiveSmallIntegerField()),
                ("interpretations", models.PositiveSmallIntegerField()),
                ("explorations", models.PositiveSmallIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("message", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="skill_score", to="simulator.message")),
                ("session", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="skill_scores", to="simulator.session")),
            ],
            options={"ordering": ["session", "seq"]},
        ),
    ]
