"""Routes for sign-up, invitations and password reset (filled in by the accounts module)."""

urlpatterns: list = []
