from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    """The market's lists and their pipeline: needs (机会清单) and capabilities (能力清单),
    three-tier review, expert assessments, pilots, the province policy and negative list,
    and the exchange format. Announces what happened through ``scenarios.events``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios"
    verbose_name = _("场景与清单")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

        from accounts.models import Organization
        from reference.models import IndustryChain
        from scenarios import tasks  # noqa: F401 - registers the tasks by name
        from scenarios.facets import chain_about_to_go, chain_deleted, lists_changed, sync_chain_ids
        from scenarios.models import Capability, ScenarioNeed
        from scenarios.services.search import organization_saved

        # Cached counts of the public lists follow every committed write of their rows.
        for model in (ScenarioNeed, Capability):
            post_save.connect(lists_changed, sender=model, dispatch_uid=f"lists-{model}")
            post_delete.connect(lists_changed, sender=model, dispatch_uid=f"lists-del-{model}")
            m2m_changed.connect(
                lists_changed, sender=model.chains.through, dispatch_uid=f"lists-m2m-{model}"
            )
            m2m_changed.connect(
                sync_chain_ids(model),
                sender=model.chains.through,
                weak=False,
                dispatch_uid=f"chain-ids-{model}",
            )
        # A capability's search vector holds its firm's name.
        post_save.connect(
            organization_saved, sender=Organization, dispatch_uid="search-organization-name"
        )
        # A chain moved or renamed changes what a chain filter's subtree holds: the lists'
        # counts move on (the epoch: no item row was written).
        post_save.connect(lists_changed, sender=IndustryChain, dispatch_uid="lists-chain")
        # Deleting a chain removes its links without m2m_changed.
        pre_delete.connect(chain_about_to_go, sender=IndustryChain, dispatch_uid="chain-ids-pre")
        post_delete.connect(chain_deleted, sender=IndustryChain, dispatch_uid="chain-ids-post")
