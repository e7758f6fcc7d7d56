"""Word search over a queryset, shared by the API's ``?search=`` and the pages' search box.

Every word must appear in at least one of the fields (as a substring), as DRF's
SearchFilter does. Two choices keep it fast on large lists: in a text field, a word without
cased letters (Chinese, digits) is matched case-sensitively, which is the same result and
skips upper-casing every row; and a field across a relation (``firm__name``) is matched in
the related table first, then by key, so the list is never joined to it. A JSON field (a
list of keywords) is matched in its text: its ``contains`` lookup would mean JSON
containment on PostgreSQL and does not exist on SQLite, so it is ``icontains`` there, and on
PostgreSQL a word without cased letters is looked for in the JSON's text as it is (the
stored text keeps Chinese as it was typed), which skips upper-casing every row's keywords.
"""

from typing import Any

from django.db import connection
from django.db.models import F, JSONField, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, StrIndex
from django.db.models.lookups import GreaterThan

MAX_SEARCH_WORDS = 10
# A JSON field is searched in its text; words holding its syntax are not looked for there.
JSON_SYNTAX = frozenset('"\\[],')


def search_words(text: str) -> list[str]:
    """The words of a search text (NUL bytes dropped, at most ``MAX_SEARCH_WORDS``)."""
    return text.replace("\x00", "").split()[:MAX_SEARCH_WORDS]


def _uncased(word: str) -> bool:
    return word.lower() == word.upper()


def _contains(model: Any, field: str, word: str) -> Q:
    """``field`` holds ``word``. A word without cased letters is looked up as it is, with
    the database's substring position (``STRPOS``/``INSTR``: no pattern to interpret, and
    faster per row than ``LIKE``); a cased word case-insensitively."""
    is_json = isinstance(model._meta.get_field(field), JSONField)
    if is_json and any(c in JSON_SYNTAX for c in word):
        return Q(pk__in=[])  # it would match the list's own quotes, commas and brackets
    if is_json and connection.vendor != "postgresql":
        return Q(**{f"{field}__icontains": word})
    if not _uncased(word):
        return Q(**{f"{field}__icontains": word})
    text = Cast(F(field), output_field=TextField()) if is_json else F(field)
    return Q(GreaterThan(StrIndex(text, Value(word)), 0))


def _field_q(model: Any, field: str, word: str) -> Q:
    if "__" not in field:
        return _contains(model, field, word)
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
