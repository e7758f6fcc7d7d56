"""Routes for bulk import/export in the exchange format (filled in by the exchange module)."""

urlpatterns: list = []
