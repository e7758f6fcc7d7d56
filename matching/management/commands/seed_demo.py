"""manage.py seed_demo: the demo province through the services, idempotent.

The lists (organizations, users, needs, capabilities: ``scenarios.demo``) commit first,
which starts matching; then one of the demo agency's recommendations is shortlisted and a
pilot proposed from it (``matching.demo``). It lives in the matching app because that step
is matching's; the lists are the scenarios app's.
"""

from django.conf import settings
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from core.errors import DomainError
from matching.demo import DemoProposal, demo_pilot_proposal
from reference.models import Region
from scenarios.demo import DemoBuilder


class Command(BaseCommand):
    help = "Build the demo province through the services (idempotent; run load_reference first)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--quiet-logins", action="store_true", help="Do not list the logins.")

    def handle(self, *args: object, **options: object) -> None:
        if not Region.objects.exists():
            raise CommandError("reference data missing: run manage.py load_reference first")
        try:
            # Demo notifications go to an in-memory outbox, not to the console.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                with transaction.atomic():
                    result = DemoBuilder().build()
                # After the commit, so the full run it started (in this process without a
                # broker) has made the recommendations the agency shortlists.
                proposal = demo_pilot_proposal()
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.fields or ''}".strip()) from exc
        except (ObjectDoesNotExist, MultipleObjectsReturned) as exc:
            # The province, its committees or the platform organisation are not (uniquely)
            # there: the reference data is missing or was loaded for another province.
            raise CommandError(
                f"reference data missing or ambiguous ({exc}): run manage.py load_reference first"
            ) from exc
        self.stdout.write(
            f"demo data: {result.organizations_created} organizations, "
            f"{result.users_created} users, {result.needs_created} needs and "
            f"{result.capabilities_created} capabilities created"
        )
        self._report(proposal)
        if options["quiet_logins"]:
            return
        shown: set[str] = set()
        self.stdout.write(f"demo logins (password for all: {settings.DEMO_PASSWORD}):")
        for login in result.logins:
            if login.role in shown and login.username not in {"admin", "province", "listfirm01"}:
                continue
            shown.add(login.role)
            self.stdout.write(f"  {login.username:<22} {login.role:<18} {login.organization}")
        self.stdout.write(
            "  (city<code>, county<code>, agency<code>-N, firm<code>-N exist for every city;"
            " listfirm01 … own the demo capabilities)"
        )

    def _report(self, proposal: DemoProposal | None) -> None:
        if proposal is None:
            self.stdout.write("demo pilot proposal: none (the demo agency has no recommendation)")
            return
        self.stdout.write(
            f"demo pilot proposal{'' if proposal.created else ' (already there)'}: "
            f"{proposal.need_ref} × {proposal.capability_title} ({proposal.firm_name}, "
            f"{'/'.join(proposal.firm_logins) or '-'}), {proposal.status}; "
            f"decided by {'/'.join(proposal.decider_logins) or '-'}"
        )
