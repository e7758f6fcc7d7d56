"""Permissions from roles: a platform admin (``Role.PLATFORM_ADMIN``) holds every model
permission, so the admin opens to them without a per-user permission list. Signing in is
still the model backend's job; this backend only answers permission questions."""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from accounts.roles import is_platform_admin


class PlatformAdminBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(getattr(user_obj, "is_active", False)) and is_platform_admin(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return self.has_perm(user_obj, app_label)
