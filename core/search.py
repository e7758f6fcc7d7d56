"""Word search over a queryset, shared by the API's ``?search=`` and the pages' search box.

Every word must appear in at least one of the fields (as a substring), as DRF's
SearchFilter does. Two choices keep it fast on large lists: in a text field, a word without
cased letters (Chinese, digits) is matched case-sensitively, which is the same result and
skips upper-casing every row; and a field across a relation (``firm__name``) is matched in
the related table first, then by key, so the list is never joined to it. A JSON field (a
list of keywords) is matched in its text with ``icontains`` on every database: its
``contains`` would mean JSON containment on PostgreSQL and does not exist on SQLite.
"""

from typing import Any

from django.db.models import JSONField, Q, QuerySet

MAX_SEARCH_WORDS = 10


def search_words(text: str) -> list[str]:
    """The words of a search text (NUL bytes dropped, at most ``MAX_SEARCH_WORDS``)."""
    return text.replace("\x00", "").split()[:MAX_SEARCH_WORDS]


def _lookup(model: Any, field: str, word: str) -> str:
    if isinstance(model._meta.get_field(field), JSONField):
        return "icontains"
    return "icontains" if word.lower() != word.upper() else "contains"


def _field_q(model: Any, field: str, word: str) -> Q:
    if "__" not in field:
        return Q(**{f"{field}__{_lookup(model, field, word)}": word})
    relation, rest = field.split("__", 1)
    related = model._meta.get_field(relation).related_model
    matching = related.objects.filter(_field_q(related, rest, word)).values("pk")
    return Q(**{f"{relation}__in": matching})


def apply_search(queryset: QuerySet[Any], fields: list[str], text: str) -> QuerySet[Any]:
    """Items in which every word of ``text`` appears in at least one of ``fields``."""
    for word in search_words(text):
        match = Q()
        for field in fields:
            match |= _field_q(queryset.model, field, word)
        queryset = queryset.filter(match)
    return queryset
