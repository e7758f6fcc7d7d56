"""Matching API serializers: runs with progress, explained matches, review inputs."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.models import Match, MatchRun, PairReview, RunScope
from matching.services.runs import run_progress
from scenarios.choices import ValidationType


class MatchRunInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=RunScope.choices)
    object_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="need id (scope=need) or capability id (scope=capability)",
    )


class MatchRunSerializer(serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "scope",
            "target_id",
            "policy_version",
            "status",
            "total",
            "processed",
            "progress",
            "chunk_count",
            "params",
            "counts",
            "timings",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, obj: MatchRun) -> float:
        return run_progress(obj)


BREAKDOWN_SCHEMA = {
    "type": "object",
    "properties": {
        "features": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "each feature in [0, 1]",
        },
        "weights": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "normalised weights; sum(weights×features) = score",
        },
        "matched_keywords": {"type": "array", "items": {"type": "string"}},
        "policy_version": {"type": "integer"},
    },
}


class MatchSerializer(serializers.ModelSerializer):
    need_ref = serializers.CharField(source="need.ref", read_only=True)
    need_title = serializers.CharField(source="need.title", read_only=True)
    capability_ref = serializers.CharField(source="capability.ref", read_only=True)
    capability_title = serializers.CharField(source="capability.title", read_only=True)
    firm_name = serializers.CharField(source="capability.firm.name", read_only=True)
    is_current = serializers.BooleanField(
        read_only=True, help_text="属于该需求当前的匹配批次（否则已被新批次取代）"
    )
    breakdown = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = [
            "id",
            "run",
            "need",
            "need_ref",
            "need_title",
            "capability",
            "capability_ref",
            "capability_title",
            "firm_id",
            "firm_name",
            "score",
            "rank",
            "recommended",
            "is_current",
            "breakdown",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BREAKDOWN_SCHEMA)
    def get_breakdown(self, obj: Match) -> dict[str, Any]:
        return dict(obj.breakdown)


class PairReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = PairReview
        fields = [
            "id",
            "need",
            "capability",
            "firm_response",
            "firm_note",
            "shortlisted",
            "decision",
            "decision_reason",
            "pilot_id",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class RespondInputSerializer(serializers.Serializer):
    interested = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ShortlistInputSerializer(serializers.Serializer):
    shortlisted = serializers.BooleanField(default=True)


class ApproveInputSerializer(serializers.Serializer):
    tolerance_until = serializers.DateField(help_text="end of the pilot's tolerance period")
    validation_type = serializers.ChoiceField(choices=ValidationType.choices, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
