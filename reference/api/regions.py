"""Administrative regions (GB/T 2260), public and read-only."""

from core.api.fields import ModelSerializer, StringField
from core.api.viewsets import PublicReadOnly
from reference.filters import RegionFilter
from reference.models import Region


class RegionSerializer(ModelSerializer):
    parent_code = StringField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent_code"]


class RegionViewSet(PublicReadOnly):
    serializer_class = RegionSerializer
    queryset = Region.objects.all()
    filterset_class = RegionFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code"]
    ordering = ["code"]
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{6}"
