"""What the needs and capabilities endpoints share: versioned writes, verb actions, inputs."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organization
from accounts.roles import is_platform_admin, memberships
from core.api.fields import Int64Field, Serializer, StringField
from core.api.idempotency import IdempotentCreateMixin
from core.api.mixins import expected_version, with_etag
from core.errors import ActorNotAllowed, InvalidInput
from reference.models import Region
from scenarios.models import (
    Capability,
    ScenarioNeed,
)

KeywordList = serializers.ListField(child=StringField(max_length=32), max_length=20, required=False)


def chain_slugs(obj: ScenarioNeed | Capability) -> list[str]:
    """The slugs of the item's industry chains (prefetched by the selectors)."""
    return [c.slug for c in obj.chains.all()]


class VersionInputSerializer(Serializer):
    version = Int64Field(
        min_value=1, required=False, help_text="expected current version (or If-Match)"
    )


class ReasonInputSerializer(VersionInputSerializer):
    reason = StringField(max_length=2000, allow_blank=True, required=False)


class RequiredReasonInputSerializer(VersionInputSerializer):
    reason = StringField(max_length=2000)


def _region(code: str | None, field: str = "region_code") -> Region | None:
    if code is None:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise InvalidInput(
            _("未知的行政区划代码。"), fields={field: [_("未知代码：%(c)s") % {"c": code}]}
        )
    return region


def _acting_org(
    request: Request, org_id: int | None, role: str, kind: str, field: str
) -> Organization:
    """The organization the user acts for: the given id, or their only one with ``role``."""
    if org_id is not None:
        mine = {m.organization_id for m in memberships(request.user) if m.role == role}
        if org_id not in mine and not is_platform_admin(request.user):
            # The same refusal whether the id exists or not: an unknown id's 400 told an
            # outsider which organizations exist (unverified firms included).
            raise ActorNotAllowed(
                _("只能操作本单位的场景需求。")
                if field == "agency"
                else _("只能操作本企业的场景能力。")
            )
        org = Organization.objects.filter(pk=org_id, kind=kind).select_related("region").first()
        if org is None:
            raise InvalidInput(_("组织不存在。"), fields={field: [_("不存在。")]})
        return org
    orgs = [m.organization for m in memberships(request.user) if m.role == role]
    if not orgs and not is_platform_admin(request.user):
        # Nobody to act for, whatever the body says: a refusal, not a missing field.
        raise ActorNotAllowed(
            _("你不代表任何发布单位。") if field == "agency" else _("你不代表任何企业。")
        )
    if len(orgs) != 1:
        raise InvalidInput(_("请指定所代表的单位。"), fields={field: [_("必填。")]})
    return orgs[0]


def _values(data: dict[str, Any], *, drop: tuple[str, ...]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k not in drop}
    if "region_code" in values:
        values["region"] = _region(values.pop("region_code"))
    return values


class VersionedResourceViewSet(
    IdempotentCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Shared plumbing of needs and capabilities: ETags, versioned PATCH, verb actions.

    Subclasses name their input serializer, the organization they act for, and the
    services that create and update; views stay adapters.
    """

    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer: type[serializers.Serializer]
    owner_field: str  # "agency" or "firm": the input field naming the acting organization
    owner_role: str
    owner_kind: str

    def render_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def create_object(
        self, request: Request, owner: Organization, ref: str | None, values: dict[str, Any]
    ) -> Any:
        raise NotImplementedError

    def update_object(
        self, request: Request, obj: Any, version: int | None, values: dict[str, Any]
    ) -> Any:
        raise NotImplementedError

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        return with_etag(Response(self.get_serializer(obj).data), obj.version)

    def _render(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        obj = self.render_queryset().get(pk=obj.pk)
        return with_etag(Response(self.get_serializer(obj).data, status=code), obj.version)

    def _input_values(self, validated: dict[str, Any]) -> dict[str, Any]:
        return _values(dict(validated), drop=(self.owner_field, "version", "ref"))

    def create_response(self, request: Request) -> Response:
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = _acting_org(
            request,
            data.validated_data.get(self.owner_field),
            self.owner_role,
            self.owner_kind,
            self.owner_field,
        )
        obj = self.create_object(
            request, owner, data.validated_data.get("ref"), self._input_values(data.validated_data)
        )
        return self._render(obj, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        # With the object, the serializer refuses what only a create takes (its organization,
        # its ref) instead of dropping it.
        data = self.input_serializer(obj, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        version = expected_version(request, data.validated_data, required=True)
        obj = self.update_object(request, obj, version, self._input_values(data.validated_data))
        return self._render(obj)

    def _act(
        self, request: Request, serializer: type[serializers.Serializer], call: Any
    ) -> Response:
        obj = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = expected_version(request, data.validated_data)
        return self._render(call(obj, data.validated_data, version))
