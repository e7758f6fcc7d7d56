"""The province policy (versions, current, new version) and the negative list (负面清单)."""

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import (
    Int64Field,
    ModelSerializer,
    RealField,
    Serializer,
    SlugStringField,
    StringField,
    WholeNumberField,
)
from core.api.filters import query_parameters_check
from core.api.mixins import expected_version, with_etag
from core.api.schema import error_responses
from scenarios.choices import (
    BUDGET_MAX_CNY,
    NegativeListKind,
)
from scenarios.filters import NegativeListFilter
from scenarios.models import (
    NegativeListEntry,
    PolicyVersion,
)
from scenarios.services.negative_list import (
    DEACTIVATE_REASON_MAX,
    check_negative_list_editor,
    negative_entry_create,
    negative_entry_deactivate,
)
from scenarios.services.policy import (
    MATCHING_FEATURES,
    REGION_KEYS,
    REGION_WEIGHT_MAX,
    RELATIVE_WEIGHT_MAX,
    check_policy_editor,
    policy_current,
    policy_update,
)


class CriterionSerializer(Serializer):
    key = SlugStringField(max_length=64)
    name = StringField(max_length=64)
    weight = RealField(min_value=0, max_value=RELATIVE_WEIGHT_MAX)


def _weights_serializer(name: str, keys: tuple[str, ...], top: float) -> type[Serializer]:
    """A body object of exactly ``keys``, each a weight from 0 to ``top``: a key of another
    name is refused naming the ones taken (as a dict of any keys, it was told "≤1.0")."""
    fields = {key: RealField(min_value=0, max_value=top) for key in keys}
    return cast("type[Serializer]", type(name, (Serializer,), fields))


MatchingWeightsInputSerializer = _weights_serializer(
    "MatchingWeightsInputSerializer", MATCHING_FEATURES, RELATIVE_WEIGHT_MAX
)
RegionWeightsInputSerializer = _weights_serializer(
    "RegionWeightsInputSerializer", REGION_KEYS, REGION_WEIGHT_MAX
)


class PolicySerializer(ModelSerializer):
    selection_criteria = CriterionSerializer(many=True)
    # Declared, not derived from the model, so the schema does not depend on the database
    # backend's integer ranges.
    recommendations_per_need = serializers.IntegerField(min_value=1, max_value=50)
    major_budget_threshold_cny = serializers.IntegerField(min_value=0, max_value=BUDGET_MAX_CNY)
    matching_weights = serializers.DictField(
        child=RealField(min_value=0, max_value=RELATIVE_WEIGHT_MAX)
    )
    region_weights = serializers.DictField(
        child=RealField(min_value=0, max_value=REGION_WEIGHT_MAX)
    )

    class Meta:
        model = PolicyVersion
        fields = [
            "version",
            "major_budget_threshold_cny",
            "selection_criteria",
            "high_value_threshold",
            "high_value_min_experts",
            "matching_weights",
            "region_weights",
            "recommendations_per_need",
            "note",
            "created_at",
        ]
        read_only_fields = ["version", "created_at"]


class PolicyInputSerializer(Serializer):
    """Changes for a new policy version; omitted fields keep their current values."""

    major_budget_threshold_cny = WholeNumberField(
        min_value=0, max_value=BUDGET_MAX_CNY, required=False
    )
    selection_criteria = CriterionSerializer(many=True, required=False)
    high_value_threshold = RealField(min_value=0, max_value=100, required=False)
    high_value_min_experts = WholeNumberField(min_value=1, max_value=20, required=False)
    matching_weights = MatchingWeightsInputSerializer(required=False)
    region_weights = RegionWeightsInputSerializer(required=False)
    recommendations_per_need = WholeNumberField(min_value=1, max_value=50, required=False)
    note = StringField(max_length=255, allow_blank=True, required=False)
    version = Int64Field(
        min_value=1,
        required=False,
        help_text="the current version the changes were made against (or If-Match; one of "
        "them is required, 428 otherwise); a newer current version is a 412",
    )


class DeactivateInputSerializer(Serializer):
    """Why an entry is switched off (audited; the items it held back may publish after it).
    Required, except to repeat the call on an entry already off."""

    reason = StringField(
        max_length=DEACTIVATE_REASON_MAX, allow_blank=True, required=False, default=""
    )


class NegativeListEntryInputSerializer(Serializer):
    kind = serializers.ChoiceField(choices=NegativeListKind.choices)
    keyword = StringField(max_length=64, required=False, allow_blank=True)
    chain = SlugStringField(max_length=64, required=False, allow_blank=True)
    reason = StringField(max_length=255)


class NegativeListEntrySerializer(ModelSerializer):
    chain: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = NegativeListEntry
        fields = ["id", "kind", "keyword", "chain", "reason", "active", "created_at"]
        read_only_fields = fields


PolicyInputSerializer.output_serializer = PolicySerializer
NegativeListEntryInputSerializer.output_serializer = NegativeListEntrySerializer


class PolicyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The province policy: every version (newest first) and the current one."""

    serializer_class = PolicySerializer
    queryset = PolicyVersion.objects.all()
    ordering_fields = ["version"]
    ordering = ["-version"]
    # The role is checked before the body is read (core.api.permissions.ActorChecks).
    actor_checks = {"create": check_policy_editor}

    @extend_schema(responses={200: PolicySerializer}, summary="当前政策")
    @action(detail=False, methods=["get"])
    def current(self, request: Request) -> Response:
        query_parameters_check(request.query_params, known={"format"})
        policy = policy_current()
        # The version POST /policy/ takes as If-Match.
        return with_etag(Response(PolicySerializer(policy).data), policy.version)

    @extend_schema(
        request=PolicyInputSerializer,
        # 412: a version or If-Match older than the current policy; 428: neither sent
        responses={201: PolicySerializer, **error_responses(412, 428)},
        summary="发布新版本政策（仅省级工作委员会；需 If-Match 或 version）",
    )
    def create(self, request: Request) -> Response:
        data = PolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        note = values.pop("note", "")
        # A change states the version it was made against, as a PATCH does.
        version = expected_version(request, {"version": values.pop("version", None)}, required=True)
        if "selection_criteria" in values:
            values["selection_criteria"] = [dict(c) for c in values["selection_criteria"]]
        policy = policy_update(actor=request.user, note=note, expected_version=version, **values)
        return Response(PolicySerializer(policy).data, status=status.HTTP_201_CREATED)


class NegativeListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = NegativeListEntrySerializer
    queryset = NegativeListEntry.objects.select_related("chain")
    filterset_class = NegativeListFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]
    search_fields = ["keyword", "reason"]
    # The role is checked before the body is read (core.api.permissions.ActorChecks).
    actor_checks = dict.fromkeys(("create", "deactivate"), check_negative_list_editor)

    @extend_schema(
        request=NegativeListEntryInputSerializer,
        responses={201: NegativeListEntrySerializer},
        summary="新增负面清单条目",
    )
    def create(self, request: Request) -> Response:
        data = NegativeListEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = negative_entry_create(
            actor=request.user,
            kind=v["kind"],
            reason=v["reason"],
            keyword=v.get("keyword", ""),
            chain_slug=v.get("chain", ""),
        )
        return Response(NegativeListEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DeactivateInputSerializer,
        responses={200: NegativeListEntrySerializer},
        summary="停用条目",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        data = DeactivateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = negative_entry_deactivate(
            actor=request.user, entry=entry, reason=data.validated_data["reason"]
        )
        return Response(NegativeListEntrySerializer(entry).data)
