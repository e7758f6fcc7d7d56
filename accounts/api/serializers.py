"""Organizations and memberships as the API renders them: shared by the accounts endpoints
and the organizations endpoint of the scenarios app."""

from rest_framework import serializers

from accounts.models import Membership, Organization
from core.api.fields import ModelSerializer, StringField


class OrganizationBriefSerializer(ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind"]


class OrganizationSerializer(ModelSerializer):
    region_code = StringField(source="region_id", read_only=True)
    is_verified = serializers.BooleanField(read_only=True)
    is_suspended = serializers.BooleanField(read_only=True)

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
            "verified_certifications",
            "verified_capacity",
            "certified_at",
            "is_suspended",
            "suspended_at",
            "suspension_reason",
            "created_at",
        ]
        read_only_fields = fields


class MembershipSerializer(ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "role"]
        read_only_fields = fields
