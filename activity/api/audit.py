"""The audit trail as the API renders it (needs' ``history`` endpoint)."""

from activity.models import AuditEvent
from core.api.fields import ModelSerializer, StringField


class AuditEventSerializer(ModelSerializer):
    actor = StringField(source="actor.username", allow_null=True, read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "actor",
            "action",
            "target_type",
            "target_id",
            "from_state",
            "to_state",
            "reason",
            "data",
            "created_at",
        ]
        read_only_fields = fields
