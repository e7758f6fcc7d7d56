"""The review queue: needs waiting for a committee the user sits on."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets

from core.api.fields import ModelSerializer, StringField
from scenarios import selectors
from scenarios.models import (
    Review,
)


class ReviewSerializer(ModelSerializer):
    need = serializers.SerializerMethodField()
    committee = StringField(source="committee.organization.name", read_only=True)

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


@extend_schema_view(list=extend_schema(summary="我的审核队列（所在委员会的待审核需求）"))
class ReviewQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewSerializer
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]
    search_fields = ["need__title", "need__ref"]

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.review_queue_for_user(user=self.request.user)
