from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_current_titles(apps, schema_editor):
    """Pilots before the snapshot: the capability was frozen while its pilot was proposed or
    running, so its current title is the best record of the one it ran under."""
    pilot_model = apps.get_model("scenarios", "Pilot")
    capability_model = apps.get_model("scenarios", "Capability")
    pilot_model.objects.update(
        capability_title=Subquery(
            capability_model.objects.filter(pk=OuterRef("capability_id")).values("title")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scenarios", "0024_need_major_by_budget"),
    ]

    operations = [
        migrations.AddField(
            model_name="pilot",
            name="capability_title",
            field=models.CharField(
                default="",
                editable=False,
                help_text="能力进入试点时的名称；能力此后改名，试点及其结论仍指这一名称。",
                max_length=200,
                verbose_name="试点时的能力名称",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_current_titles, migrations.RunPython.noop),
    ]
