"""The signed-in user's notifications: list and mark read."""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from activity import selectors, services
from activity.messages import VERBS
from activity.models import Notification
from core.api.fields import ModelSerializer, reject_body_fields
from core.api.filters import StrictFilterSet


class NotificationSerializer(ModelSerializer):
    verb = serializers.ChoiceField(choices=VERBS, read_only=True)
    message = serializers.CharField(
        source="text",
        read_only=True,
        help_text="通知内容，使用请求的语言（Accept-Language）；标题、名称和原因保持作者填写的原文。",
    )
    params = serializers.DictField(
        read_only=True,
        help_text="内容中的参数（标题、名称、原因等），供其他系统按 verb 自行组织文字；"
        "早于参数记录的通知为空对象。",
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "verb",
            "message",
            "params",
            "target_type",
            "target_id",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields


class NotificationFilter(StrictFilterSet):
    # The verbs the service sends: another is a 400, not an empty list that looks answered.
    verb = django_filters.MultipleChoiceFilter(choices=VERBS)

    class Meta:
        model = Notification
        fields: list[str] = []


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notification_list_for_user(user=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer}, summary="标记已读")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        note = self.get_object()
        reject_body_fields(request.data)
        note = services.notification_mark_read(reader=request.user, notification=note)
        return Response(NotificationSerializer(note).data)
