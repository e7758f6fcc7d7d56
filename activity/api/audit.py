"""The audit trail as the API renders it (needs' ``history`` endpoint)."""

from rest_framework import serializers

from activity.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, read_only=True)

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
