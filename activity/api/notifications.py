"""The signed-in user's notifications: list and mark read."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from activity import selectors, services
from activity.models import Notification
from core.api.fields import ModelSerializer


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "verb", "message", "target_type", "target_id", "read_at", "created_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = NotificationSerializer
    filterset_fields = ["verb"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notification_list_for_user(user=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer}, summary="标记已读")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        note = services.notification_mark_read(reader=request.user, notification=self.get_object())
        return Response(NotificationSerializer(note).data)
