from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from scenarios.services.setup import reference_load


class Command(BaseCommand):
    help = (
        "Load regions, the industry-chain taxonomy, committees and the initial policy (idempotent)."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            counts = reference_load()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"reference data: {counts.regions} regions, {counts.chains} chain nodes, "
            f"{counts.committees} committees, policy v{counts.policy_version}"
        )
