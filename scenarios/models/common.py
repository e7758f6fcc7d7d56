"""What the list models share."""

from typing import Any


class KeepsChainIds:
    """A full ``save()`` of a loaded item writes every field except ``chain_ids``: that
    column follows the chain links (``scenarios.facets.sync_chain_ids``), and an instance
    loaded before a link changed must not write its stale copy back. Saving it on purpose
    takes ``update_fields=["chain_ids"]``."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding  # type: ignore[attr-defined]
        if (
            not adding
            and self.pk is not None  # type: ignore[attr-defined]
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            deferred = self.get_deferred_fields()  # type: ignore[attr-defined]
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields  # type: ignore[attr-defined]
                if not f.primary_key and f.name != "chain_ids" and f.attname not in deferred
            ]
        super().save(*args, **kwargs)  # type: ignore[misc]
