"""Reference data in the admin: view-only (it is loaded from the shipped CSV files)."""

from django.contrib import admin

from core.admin import ViewOnlyMixin
from reference.models import IndustryChain, Region


@admin.register(Region)
class RegionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    ordering = ["code"]


@admin.register(IndustryChain)
class IndustryChainAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["name_zh", "slug", "name_en", "parent", "path"]
    search_fields = ["slug", "name_zh", "name_en", "path"]
    list_select_related = ["parent"]
    ordering = ["path"]
