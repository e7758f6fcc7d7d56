"""Serializers: input ones check the request's shape, output ones render; no rules here."""

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from scenarios.choices import (
    Certification,
    NegativeListKind,
    PilotStatus,
    ScenarioCategory,
    ValidationType,
)
from scenarios.models import (
    Assessment,
    AuditEvent,
    Capability,
    IndustryChain,
    NegativeListEntry,
    Notification,
    Organization,
    Pilot,
    PolicyVersion,
    Region,
    Review,
    ScenarioNeed,
)
from scenarios.models.needs import CONFIDENTIAL_NEED_FIELDS
from scenarios.roles import is_need_insider
from scenarios.services.pilots import MAX_MILESTONES

# The one error shape of the API. Built with inline_serializer because a declared field
# called "fields" would shadow Serializer.fields.
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="machine-readable error code"),
        "detail": serializers.CharField(help_text="human-readable message (zh-hans or en)"),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="field-level messages: {field: [messages]}",
        ),
    },
)


KeywordList = serializers.ListField(
    child=serializers.CharField(max_length=32), max_length=20, required=False
)


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent_code"]


class IndustryChainSerializer(serializers.ModelSerializer):
    parent_slug = serializers.SerializerMethodField()

    class Meta:
        model = IndustryChain
        fields = ["slug", "name_zh", "name_en", "parent_slug", "synonyms"]

    def get_parent_slug(self, obj: IndustryChain) -> str | None:
        return obj.path.rstrip("/").rsplit("/", 2)[-2] if obj.parent_id else None


class OrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind"]


class OrganizationSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region_id", read_only=True)
    is_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "name",
            "region_code",
            "credit_code",
            "contact_name",
            "contact_phone",
            "is_verified",
            "verified_at",
            "created_at",
        ]
        read_only_fields = fields


def _slugs(obj: ScenarioNeed | Capability) -> list[str]:
    return [c.slug for c in obj.chains.all()]


class NeedInputSerializer(serializers.Serializer):
    """Body of POST /needs/ and PATCH /needs/{id}/ (PATCH also takes ``version``)."""

    ref = serializers.CharField(max_length=64, required=False)
    agency = serializers.IntegerField(
        required=False, help_text="posting agency id; optional when the user edits for one"
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    category = serializers.ChoiceField(choices=ScenarioCategory.choices)
    chains = serializers.ListField(
        child=serializers.SlugField(max_length=64), min_length=1, max_length=10
    )
    keywords = KeywordList
    region_code = serializers.CharField(min_length=6, max_length=6, required=False)
    validation_type = serializers.ChoiceField(choices=ValidationType.choices)
    min_trl = serializers.IntegerField(min_value=1, max_value=9)
    budget_cny = serializers.IntegerField(
        min_value=0, max_value=10**13, allow_null=True, required=False
    )
    resources_offered = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    deadline = serializers.DateField(allow_null=True, required=False)
    is_major = serializers.BooleanField(required=False)
    contact_name = serializers.CharField(max_length=64, allow_blank=True, required=False)
    contact_phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    confidential_notes = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="current version, for updates (or If-Match)"
    )


class NeedPublicSerializer(serializers.ModelSerializer):
    """A published need as the public sees it: no contacts, no internal notes."""

    chains = serializers.SerializerMethodField()
    region_code = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    org_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = ScenarioNeed
        fields = [
            "id",
            "ref",
            "title",
            "description",
            "category",
            "chains",
            "keywords",
            "region_code",
            "region_name",
            "org_name",
            "validation_type",
            "min_trl",
            "budget_cny",
            "resources_offered",
            "deadline",
            "is_major",
            "status",
            "value_score",
            "is_high_value",
            "published_at",
        ]
        read_only_fields = fields

    def get_chains(self, obj: ScenarioNeed) -> list[str]:
        return _slugs(obj)


class NeedOutputSerializer(NeedPublicSerializer):
    """A need for signed-in users; confidential fields only for its agency and reviewers."""

    agency = OrganizationBriefSerializer(read_only=True)
    review_tier = serializers.CharField(
        read_only=True, help_text="tier of the pending review: county, city, province, or empty"
    )
    contact_name = serializers.CharField(read_only=True, allow_null=True)
    contact_phone = serializers.CharField(read_only=True, allow_null=True)
    confidential_notes = serializers.CharField(read_only=True, allow_null=True)

    class Meta(NeedPublicSerializer.Meta):
        fields = [
            *NeedPublicSerializer.Meta.fields,
            "agency",
            "review_tier",
            "version",
            "created_at",
            "updated_at",
            *CONFIDENTIAL_NEED_FIELDS,
        ]
        read_only_fields = fields

    def to_representation(self, instance: ScenarioNeed) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not is_need_insider(getattr(request, "user", None), instance):
            for name in CONFIDENTIAL_NEED_FIELDS:
                data[name] = None
        return data


class CapabilityInputSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=64, required=False)
    firm = serializers.IntegerField(
        required=False, help_text="firm id; optional when the user edits for one firm"
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    chains = serializers.ListField(
        child=serializers.SlugField(max_length=64), min_length=1, max_length=10
    )
    keywords = KeywordList
    trl = serializers.IntegerField(min_value=1, max_value=9)
    region_code = serializers.CharField(min_length=6, max_length=6, required=False)
    certifications = serializers.ListField(
        child=serializers.ChoiceField(choices=Certification.choices),
        max_length=3,
        required=False,
    )
    past_cases = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=20, required=False
    )
    capacity = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    version = serializers.IntegerField(min_value=1, required=False)


class CapabilityPublicSerializer(serializers.ModelSerializer):
    chains = serializers.SerializerMethodField()
    region_code = serializers.CharField(source="region_id", read_only=True)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    firm_credit_code = serializers.CharField(source="firm.credit_code", read_only=True)

    class Meta:
        model = Capability
        fields = [
            "id",
            "ref",
            "title",
            "description",
            "chains",
            "keywords",
            "region_code",
            "trl",
            "certifications",
            "past_cases",
            "capacity",
            "firm_name",
            "firm_credit_code",
            "status",
            "published_at",
        ]
        read_only_fields = fields

    def get_chains(self, obj: Capability) -> list[str]:
        return _slugs(obj)


class CapabilityOutputSerializer(CapabilityPublicSerializer):
    firm = OrganizationBriefSerializer(read_only=True)

    class Meta(CapabilityPublicSerializer.Meta):
        fields = [
            *CapabilityPublicSerializer.Meta.fields,
            "firm",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VersionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="expected current version (or If-Match)"
    )


class ReasonInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class RequiredReasonInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=2000)


class ReviewDecisionInputSerializer(VersionInputSerializer):
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class RequiredCommentInputSerializer(VersionInputSerializer):
    comment = serializers.CharField(max_length=2000)


class ReviewSerializer(serializers.ModelSerializer):
    need = serializers.SerializerMethodField()
    committee = serializers.CharField(source="committee.organization.name", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "need",
            "committee",
            "tier",
            "decision",
            "comment",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "ref": {"type": "string"},
                "title": {"type": "string"},
                "region_code": {"type": "string"},
                "version": {"type": "integer"},
                "is_major": {"type": "boolean"},
                "budget_cny": {"type": "integer", "nullable": True},
            },
        }
    )
    def get_need(self, obj: Review) -> dict[str, Any]:
        need = obj.need
        return {
            "id": need.pk,
            "ref": need.ref,
            "title": need.title,
            "region_code": need.region_id,
            "version": need.version,
            "is_major": need.is_major,
            "budget_cny": need.budget_cny,
        }


class AssessmentInputSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=100),
        help_text="criterion key → score 0-100, one per criterion of the current policy",
    )
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False)


class AssessmentSerializer(serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "need",
            "expert",
            "policy_version",
            "scores",
            "weighted_score",
            "comment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MilestoneSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due = serializers.DateField(required=False, allow_null=True)
    done = serializers.BooleanField(required=False, default=False)


class PilotInputSerializer(serializers.Serializer):
    need = serializers.IntegerField()
    capability = serializers.IntegerField()
    tolerance_until = serializers.DateField(help_text="end of the tolerance period (包容期)")
    validation_type = serializers.ChoiceField(choices=ValidationType.choices, required=False)
    milestones: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=MilestoneSerializer(), required=False, max_length=MAX_MILESTONES
    )


class PilotMilestonesInputSerializer(VersionInputSerializer):
    milestones: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=MilestoneSerializer(), max_length=MAX_MILESTONES
    )


class PilotConcludeInputSerializer(VersionInputSerializer):
    outcome = serializers.ChoiceField(
        choices=[(PilotStatus.VALIDATED, "validated"), (PilotStatus.FAILED, "failed")]
    )
    trl_after = serializers.IntegerField(min_value=1, max_value=9)
    note = serializers.CharField(max_length=4000)


class PilotRecognizeInputSerializer(serializers.Serializer):
    first_of_kind = serializers.BooleanField(default=False)
    best_practice = serializers.BooleanField(default=False)


class PilotSerializer(serializers.ModelSerializer):
    need_ref = serializers.CharField(source="need.ref", read_only=True)
    capability_ref = serializers.CharField(source="capability.ref", read_only=True)
    firm_name = serializers.CharField(source="capability.firm.name", read_only=True)

    class Meta:
        model = Pilot
        fields = [
            "id",
            "need",
            "need_ref",
            "capability",
            "capability_ref",
            "firm_name",
            "validation_type",
            "status",
            "tolerance_until",
            "milestones",
            "trl_before",
            "trl_after",
            "outcome_note",
            "first_of_kind_recommended",
            "best_practice_nominated",
            "source_match_id",
            "version",
            "started_at",
            "ended_at",
        ]
        read_only_fields = fields


class NegativeListEntryInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NegativeListKind.choices)
    keyword = serializers.CharField(max_length=64, required=False, allow_blank=True)
    chain = serializers.SlugField(max_length=64, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=255)


class NegativeListEntrySerializer(serializers.ModelSerializer):
    chain: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = NegativeListEntry
        fields = ["id", "kind", "keyword", "chain", "reason", "active", "created_at"]
        read_only_fields = fields


class CriterionSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=64)
    weight = serializers.FloatField(min_value=0)


class PolicySerializer(serializers.ModelSerializer):
    selection_criteria = CriterionSerializer(many=True)
    # Declared, not derived from the model, so the schema does not depend on the database
    # backend's integer ranges.
    recommendations_per_need = serializers.IntegerField(min_value=1, max_value=50)
    major_budget_threshold_cny = serializers.IntegerField(min_value=0, max_value=10**13)
    matching_weights = serializers.DictField(child=serializers.FloatField(min_value=0))
    region_weights = serializers.DictField(child=serializers.FloatField(min_value=0))

    class Meta:
        model = PolicyVersion
        fields = [
            "version",
            "major_budget_threshold_cny",
            "selection_criteria",
            "high_value_threshold",
            "matching_weights",
            "region_weights",
            "recommendations_per_need",
            "note",
            "created_at",
        ]
        read_only_fields = ["version", "created_at"]


class PolicyInputSerializer(serializers.Serializer):
    """Changes for a new policy version; omitted fields keep their current values."""

    major_budget_threshold_cny = serializers.IntegerField(
        min_value=0, max_value=10**13, required=False
    )
    selection_criteria = CriterionSerializer(many=True, required=False)
    high_value_threshold = serializers.FloatField(min_value=0, max_value=100, required=False)
    matching_weights = serializers.DictField(
        child=serializers.FloatField(min_value=0), required=False
    )
    region_weights = serializers.DictField(
        child=serializers.FloatField(min_value=0), required=False
    )
    recommendations_per_need = serializers.IntegerField(min_value=1, max_value=50, required=False)
    note = serializers.CharField(max_length=255, allow_blank=True, required=False)


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


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "verb", "message", "target_type", "target_id", "read_at", "created_at"]
        read_only_fields = fields
