"""Assessments count the changes of their scores after the first submission: the committee
reads them beside the scores (an expert sees the panel once they have scored), and the
expert may change them only a few times (each save is a new look at the 高价值 mark)."""

from itertools import groupby

from django.db import migrations, models


def fill_from_the_trail(apps, schema_editor):
    """Revisions so far, read from the audit trail: an ``assessment.update`` whose weighted
    score differs from the one before it changed the scores (one that only changed the
    comment did not). The count under the current criteria starts again where the policy's
    criteria changed."""
    assessment_model = apps.get_model("scenarios", "Assessment")
    audit_model = apps.get_model("activity", "AuditEvent")
    policy_model = apps.get_model("scenarios", "PolicyVersion")
    keys = {
        version: frozenset(c.get("key") for c in criteria if isinstance(c, dict))
        for version, criteria in policy_model.objects.values_list("version", "selection_criteria")
    }
    rows = (
        audit_model.objects.filter(
            target_type="scenarios.assessment",
            action__in=["assessment.create", "assessment.update"],
        )
        .order_by("target_id", "id")
        .values_list("target_id", "data", "created_at")
    )
    for target_id, events in groupby(rows.iterator(chunk_size=5000), key=lambda r: r[0]):
        if not target_id.isdigit():
            continue
        revisions = under_criteria = 0
        revised_at = None
        before = None
        for _target, data, at in events:
            data = data if isinstance(data, dict) else {}
            now = (data.get("weighted_score"), keys.get(data.get("policy")))
            if before is not None and now[0] != before[0]:
                revisions += 1
                revised_at = at
                under_criteria = 0 if now[1] != before[1] else under_criteria + 1
            before = now
        if revisions:
            assessment_model.objects.filter(pk=int(target_id)).update(
                revisions=revisions,
                revisions_under_criteria=under_criteria,
                revised_at=revised_at,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0001_initial"),
        ("scenarios", "0025_pilot_capability_title"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="revised_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="最后修改时间"
            ),
        ),
        migrations.AddField(
            model_name="assessment",
            name="revisions",
            field=models.PositiveSmallIntegerField(
                default=0, editable=False, verbose_name="修改次数"
            ),
        ),
        migrations.AddField(
            model_name="assessment",
            name="revisions_under_criteria",
            field=models.PositiveSmallIntegerField(
                default=0, editable=False, verbose_name="本套标准下的修改次数"
            ),
        ),
        migrations.RunPython(fill_from_the_trail, migrations.RunPython.noop),
    ]
