"""What the list models share."""

from typing import Any

from django.db import models

from core.search import SearchIndex

# The fields the search index holds (``scenarios.services.search``); a search over other
# fields of the model does not use it. A capability's vector holds its firm's name too.
SEARCH_INDEX = SearchIndex(
    field="search_vector", covers=("title", "description", "keywords", "ref")
)
CAPABILITY_SEARCH_INDEX = SearchIndex(
    field=SEARCH_INDEX.field, covers=(*SEARCH_INDEX.covers, "firm__name")
)


class RefKey(models.Func):
    """What refs that look alike share: NFKC (full-width forms become ASCII) upper-cased, as
    ``scenarios.services.common.ref_key`` computes it. SQLite has no ``normalize``: there the
    index holds the upper case only, and the services compare in Python."""

    template = "UPPER(NORMALIZE(%(expressions)s, NFKC))"
    output_field = models.CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="UPPER(%(expressions)s)", **extra)


# Columns a loaded instance never writes back in a full ``save()``: they are kept by their
# own writers (the chain links' signal, the search index).
DERIVED_FIELDS = frozenset({"chain_ids", "search_vector"})


class KeepsChainIds:
    """A full ``save()`` of a loaded item writes every field except ``chain_ids`` and
    ``search_vector``: the first follows the chain links (``scenarios.facets.sync_chain_ids``),
    the second the text (``scenarios.services.search``), and an instance loaded before they
    changed must not write its stale copy back. Saving one on purpose takes
    ``update_fields``.

    A save that writes searchable text (or a new row, a copy included) clears the row's
    search vector instead: a cleared row is found by its text until the services (or
    ``manage.py search_index``) index it again, whereas a stale vector would hide it from a
    search for its new words."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding  # type: ignore[attr-defined]
        index: SearchIndex = self.SEARCH_INDEX  # type: ignore[attr-defined]
        if adding:
            self.__dict__[index.field] = None
        elif self.pk is not None and not kwargs.get("force_insert"):  # type: ignore[attr-defined]
            fields = kwargs.get("update_fields")
            if fields is None:
                deferred = self.get_deferred_fields()  # type: ignore[attr-defined]
                fields = [
                    f.name
                    for f in self._meta.concrete_fields  # type: ignore[attr-defined]
                    if not f.primary_key
                    and f.name not in DERIVED_FIELDS
                    and f.attname not in deferred
                ]
            text = {covered.split("__")[0] for covered in index.covers}  # firm__name: firm
            if text.intersection(fields) and index.field not in fields:
                self.__dict__[index.field] = None
                fields = [*fields, index.field]
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)  # type: ignore[misc]


class ListItemManager(models.Manager[Any]):
    """The lists' manager: ``search_vector`` (a few kilobytes of n-grams per row, read only
    inside the database by the search) is never loaded into Python."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().defer("search_vector")
