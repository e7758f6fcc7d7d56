"""Pilots (场景验证): start, milestones, outcome, recognition."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import (
    IdField,
    ModelSerializer,
    Serializer,
    StrictBooleanField,
    StringField,
    WholeNumberField,
)
from core.api.mixins import expected_version, with_etag
from core.errors import InvalidInput
from scenarios import selectors
from scenarios.access import check_need_side_staff
from scenarios.api.common import (
    VersionInputSerializer,
)
from scenarios.choices import (
    PilotStatus,
    ValidationType,
)
from scenarios.filters import PilotFilter
from scenarios.models import (
    Pilot,
)
from scenarios.services import pilots
from scenarios.services.pilots import MAX_MILESTONES


class MilestoneSerializer(Serializer):
    title = StringField(max_length=200)
    due = serializers.DateField(required=False, allow_null=True)
    done = serializers.BooleanField(required=False, default=False)


class PilotInputSerializer(Serializer):
    need = IdField()
    capability = IdField()
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
    trl_after = WholeNumberField(min_value=1, max_value=9)
    note = StringField(max_length=4000)


class PilotDecideInputSerializer(VersionInputSerializer):
    approve = serializers.BooleanField(help_text="true: the pilot runs; false: declined")
    reason = StringField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="required to decline",
    )
    tolerance_until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="defaults to the proposal's"
    )


class PilotRecognizeInputSerializer(VersionInputSerializer):
    first_of_kind = StrictBooleanField(default=False)
    best_practice = StrictBooleanField(default=False)


class PilotSerializer(ModelSerializer):
    need_ref = StringField(source="need.ref", read_only=True)
    capability_ref = StringField(source="capability.ref", read_only=True)
    firm_name = StringField(source="capability.firm.name", read_only=True)

    class Meta:
        model = Pilot
        fields = [
            "id",
            "need",
            "need_ref",
            "capability",
            "capability_ref",
            "capability_title",
            "firm_name",
            "validation_type",
            "status",
            "tolerance_until",
            "milestones",
            "trl_before",
            "trl_after",
            "outcome_note",
            "outcome_confirmed_at",
            "decision_reason",
            "first_of_kind_recommended",
            "best_practice_nominated",
            "source_match_id",
            "version",
            "started_at",
            "ended_at",
        ]
        read_only_fields = fields


PilotInputSerializer.output_serializer = PilotSerializer


@extend_schema_view(
    create=extend_schema(
        request=PilotInputSerializer,
        responses={201: PilotSerializer},
        summary="开展场景验证试点（委员会）或申请试点（需求单位）",
        description=(
            "A committee over the need's region (or an admin) starts the pilot; the need's "
            "agency proposes it (status `proposed`) and the committee decides with `decide`. "
            "A pair with an open pilot returns that pilot; a committee starting a pair whose "
            "proposal waits approves the proposal."
        ),
    ),
)
class PilotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = r"[0-9]+"
    serializer_class = PilotSerializer
    ordering_fields = ["started_at", "tolerance_until", "id"]
    ordering = ["-id"]
    filterset_class = PilotFilter
    # Who may call each verb at all (core.api.permissions.ActorChecks), before the body.
    actor_checks = {
        "create": check_need_side_staff,
        "milestones": pilots.check_pilot_need_side,
        "conclude": pilots.check_pilot_need_side,
        "decide": pilots.check_pilot_committee,
        "confirm": pilots.check_pilot_committee,
        "recognize": pilots.check_pilot_committee,
    }

    def get_queryset(self) -> QuerySet[Pilot]:
        return selectors.pilot_list_for_user(user=self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The version its verbs take as If-Match, as needs and capabilities give theirs.
        pilot = self.get_object()
        return with_etag(Response(self.get_serializer(pilot).data), pilot.version)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PilotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        need = selectors.need_list_for_user(user=request.user).filter(pk=v["need"]).first()
        cap = (
            selectors.capability_list_for_user(user=request.user).filter(pk=v["capability"]).first()
        )
        if need is None or cap is None:
            missing = {"need": need, "capability": cap}
            raise InvalidInput(
                _("需求或能力不存在。"),
                fields={k: [_("不存在或无权查看。")] for k, v_ in missing.items() if v_ is None},
            )
        pilot = pilots.pilot_start(
            actor=request.user,
            need=need,
            capability=cap,
            tolerance_until=v["tolerance_until"],
            validation_type=v.get("validation_type"),
            milestones=[
                {**m, "due": m["due"].isoformat() if m.get("due") else None}
                for m in v.get("milestones", [])
            ],
        )
        return Response(PilotSerializer(pilot).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PilotMilestonesInputSerializer,
        responses={200: PilotSerializer},
        summary="更新里程碑",
    )
    @action(detail=True, methods=["post"])
    def milestones(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = PilotMilestonesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [
            {**m, "due": m["due"].isoformat() if m.get("due") else None}
            for m in data.validated_data["milestones"]
        ]
        pilot = pilots.pilot_update_milestones(
            actor=request.user,
            pilot=pilot,
            milestones=items,
            expected_version=expected_version(request, data.validated_data),
        )
        return Response(PilotSerializer(pilot).data)

    @extend_schema(
        request=PilotConcludeInputSerializer,
        responses={200: PilotSerializer},
        summary="登记验证结论",
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = PilotConcludeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        pilot = pilots.pilot_conclude(
            actor=request.user,
            pilot=pilot,
            outcome=v["outcome"],
            trl_after=v["trl_after"],
            note=v["note"],
            expected_version=expected_version(request, v),
        )
        return Response(PilotSerializer(pilot).data)

    @extend_schema(
        request=PilotDecideInputSerializer,
        responses={200: PilotSerializer},
        summary="审批试点申请",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = PilotDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        pilot = pilots.pilot_proposal_decide(
            actor=request.user,
            pilot=pilot,
            approve=v["approve"],
            reason=v["reason"],
            tolerance_until=v["tolerance_until"],
            expected_version=expected_version(request, v),
        )
        return Response(PilotSerializer(pilot).data)

    @extend_schema(
        request=VersionInputSerializer,
        responses={200: PilotSerializer},
        summary="撤回试点申请",
        description=(
            "The need's agency takes back its proposal (``proposed`` → ``withdrawn``) before "
            "the committee decides it; the pair may be proposed again. Withdrawing twice "
            "returns the pilot unchanged; a decided proposal is a 409."
        ),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pilot = pilots.pilot_proposal_withdraw(
            actor=request.user,
            pilot=pilot,
            expected_version=expected_version(request, data.validated_data),
        )
        return Response(PilotSerializer(pilot).data)

    @extend_schema(
        request=VersionInputSerializer,
        responses={200: PilotSerializer},
        summary="确认验证结论",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pilot = pilots.pilot_confirm_outcome(
            actor=request.user,
            pilot=pilot,
            expected_version=expected_version(request, data.validated_data),
        )
        return Response(PilotSerializer(pilot).data)

    @extend_schema(
        request=PilotRecognizeInputSerializer,
        responses={200: PilotSerializer},
        summary="推荐首台（套）/最佳实践案例",
    )
    @action(detail=True, methods=["post"])
    def recognize(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = PilotRecognizeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pilot = pilots.pilot_recognize(
            actor=request.user,
            pilot=pilot,
            first_of_kind=data.validated_data["first_of_kind"],
            best_practice=data.validated_data["best_practice"],
            expected_version=expected_version(request, data.validated_data),
        )
        return Response(PilotSerializer(pilot).data)
