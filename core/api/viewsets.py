"""Viewset bases shared by the apps."""

from rest_framework import permissions, viewsets
from rest_framework.throttling import AnonRateThrottle


# Anonymous, read-only and throttled per address: the published lists, reference data.
# (A comment, not a docstring: drf-spectacular would publish a docstring as the description
# of every operation of every subclass.)
class PublicReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]
