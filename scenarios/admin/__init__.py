"""The scenarios app's admin, one module per resource (Django imports this package)."""

from scenarios.admin import capabilities, needs, organizations, pilots, policy

__all__ = ["capabilities", "needs", "organizations", "pilots", "policy"]
