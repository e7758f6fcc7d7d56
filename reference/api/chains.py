"""The industry-chain taxonomy, public and read-only."""

from rest_framework import serializers

from core.api.fields import ModelSerializer
from core.api.viewsets import PublicReadOnly
from reference.models import IndustryChain


class IndustryChainSerializer(ModelSerializer):
    parent_slug = serializers.SerializerMethodField()

    class Meta:
        model = IndustryChain
        fields = ["slug", "name_zh", "name_en", "parent_slug", "synonyms"]

    def get_parent_slug(self, obj: IndustryChain) -> str | None:
        return obj.path.rstrip("/").rsplit("/", 2)[-2] if obj.parent_id else None


class IndustryChainViewSet(PublicReadOnly):
    serializer_class = IndustryChainSerializer
    queryset = IndustryChain.objects.all()
    search_fields = ["name_zh", "name_en", "slug"]
    ordering_fields = ["path"]
    ordering = ["path"]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
