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

On PostgreSQL a model may declare a search index (``SEARCH_INDEX``: a ``tsvector`` column of
the upper-cased character bigrams of the fields it ``covers``, with a GIN index; the
``scenarios_search_grams`` / ``scenarios_search_query`` SQL functions build both sides). The
words then first find their candidates through the index, all in one condition (every bigram
of each upper-cased word, or for one character every bigram starting with it: the rows whose
vector holds them all), and each word's substring condition above is checked on those only,
so the result is the same as without the index. Rows whose vector is still NULL (written but
not indexed yet) are candidates too. A field across a relation is best held by the vector too
(a capability's holds its firm's name, ``firm__name``): a word that only the relation's field
holds is then found by the index like any other. A related field the index does not hold
makes candidates by key, word by word (``firm_id = ANY(ARRAY(...))``, which the index scan
can OR with, but which the planner cannot estimate).

The text is stored and indexed as it was typed. A search word is looked for as typed and, where
they differ, in its NFKC form and that form written full-width, so full-width ``ＡＩ`` (an input
method's) finds ``AI``, and ``AI`` finds ``ＡＩ`` where that was stored; ``（`` finds both
parentheses. Format characters (``Cf``: zero-width spaces and joiners, U+FEFF) are dropped from
the search text: invisible, they would make ``智<U+200B>能`` find nothing where 智能 finds 21
needs.
"""

import contextlib
import unicodedata
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    IntegerField,
    JSONField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, StrIndex
from django.db.models.lookups import GreaterThan
from rest_framework.filters import search_smart_split

MAX_SEARCH_WORDS = 10
# Longer search texts are refused by the API (400) and the pages' form; a word is never
# longer than this, whatever calls the function.
MAX_SEARCH_LENGTH = 200
# Chinese and typographic quotes read as the ASCII quotes that keep a phrase whole.
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
# ASCII's printable characters (not the space) as their full-width forms, U+FF01-U+FF5E.
FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
# A JSON field is searched in its text; words holding its syntax are looked for per element.
JSON_SYNTAX = frozenset('"\\[],')


class SearchIndex(NamedTuple):
    """A model's search index: its ``tsvector`` column and the model's own fields whose
    text it holds."""

    field: str
    covers: tuple[str, ...]


class ElementHolds(Expression):
    """An element of the JSON list in ``source`` holds ``word`` (case-insensitively unless
    the word has no cased letters). Rows whose value is not a list never match."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, source: Any, word: str) -> None:
        super().__init__()
        self.source = source
        self.word = word

    def get_source_expressions(self) -> list[Any]:
        return [self.source]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.source,) = exprs

    # {column} is the compiled column; the word is always a parameter.
    templates = {
        "postgresql": (
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({column}) "
            "= 'array' THEN {column} ELSE '[]'::jsonb END) AS e(v) WHERE {test})",
            "strpos(v, %s) > 0",
            "strpos(upper(v), upper(%s)) > 0",
        ),
        "sqlite": (
            "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({column}) = 'array' "
            "THEN {column} ELSE '[]' END) WHERE {test})",
            "instr(value, %s) > 0",
            "instr(lower(value), lower(%s)) > 0",
        ),
    }

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        template, uncased_test, cased_test = self.templates[connection.vendor]
        column, params = compiler.compile(self.source)
        test = uncased_test if _uncased(self.word) else cased_test
        return template.format(column=column, test=test), [*params, *params, self.word]


# Set while a query is compiled that should find its rows without the search index
# (``without_index``).
_INDEX_OFF: ContextVar[bool] = ContextVar("search_index_off", default=False)


@contextlib.contextmanager
def without_index() -> Iterator[None]:
    """Queries compiled inside leave the index's candidate condition out (it reads ``TRUE``;
    the substring condition alone decides, as it always does): for a page of a selection
    whose matches are dense, walking the list's order and testing each row finds its 20 rows
    sooner than fetching every match through the index and sorting them, and PostgreSQL,
    which estimates a word's bigrams as independent, would not choose that walk itself."""
    token = _INDEX_OFF.set(True)
    try:
        yield
    finally:
        _INDEX_OFF.reset(token)


class IndexHolds(Expression):
    """The search vector ``source`` holds every bigram of each of ``words`` (PostgreSQL):
    one index condition for all of them, so the index intersects their bigrams itself (a
    condition per word let the planner scan the index for one word and test the others on
    every row it fetched: 6,453 rows for "机器人 检测" at 100,000 capabilities, against the
    2,089 holding the bigrams of both, of which 1,813 hold both words)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, source: Any, *words: str | tuple[str, ...]) -> None:
        super().__init__()
        if not words:
            raise ValueError("IndexHolds needs at least one word")
        self.source = source
        # A word is its forms (``search_terms``): the row holds the bigrams of one of them.
        terms = [(word,) if isinstance(word, str) else word for word in words]
        self.words = tuple(dict.fromkeys(terms))  # a repeated word asks nothing more

    def get_source_expressions(self) -> list[Any]:
        return [self.source]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.source,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        if _INDEX_OFF.get():
            return "TRUE", []
        column, params = compiler.compile(self.source)
        one = "scenarios_search_query(%s)"
        query = " && ".join(
            one if len(forms) == 1 else "(" + " || ".join([one] * len(forms)) + ")"
            for forms in self.words
        )
        return f"{column} @@ ({query})", [*params, *(f for forms in self.words for f in forms)]


class EqualsAny(Expression):
    """``lhs = ANY(ARRAY(subquery))`` (PostgreSQL): unlike ``IN (subquery)`` an index
    condition, which a bitmap scan can OR with the search index."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, lhs: Any, queryset: QuerySet[Any]) -> None:
        super().__init__()
        self.lhs = lhs
        self.queryset = queryset

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.lhs,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = compiler.compile(self.lhs)
        inner, inner_params = self.queryset.query.get_compiler(connection=connection).as_sql()
        return f"{lhs} = ANY(ARRAY({inner}))", [*lhs_params, *inner_params]


def search_words(text: str) -> list[str]:
    """The words of a search text, read as DRF's ``?search=`` reads them: split at spaces
    and commas, a quoted phrase kept whole without its quotes (``"1,000 吨"``); NUL bytes
    and format characters (zero-width spaces) dropped, at most ``MAX_SEARCH_WORDS``. The API
    and the pages' search box share it."""
    text = text.replace("\x00", "").translate(QUOTES)[:MAX_SEARCH_LENGTH]
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    # DRF's stub says list[str]; the function splits a string (rest_framework/filters.py).
    words = search_smart_split(text)  # type: ignore[arg-type]
    return [w for w in words if w.strip()][:MAX_SEARCH_WORDS]


def search_terms(text: str) -> list[tuple[str, ...]]:
    """Each word of ``text`` (``search_words``) with the forms it is looked for in: as
    typed, its NFKC form (full-width letters, digits and punctuation as ASCII) and that
    form written full-width, as typed and upper-cased (``ai`` as ``ａｉ`` and ``ＡＩ``, as a
    Chinese input method types it), each where it differs. The text is stored as typed, so
    any of them may be the one in it."""
    terms: list[tuple[str, ...]] = []
    for word in search_words(text):
        normal = unicodedata.normalize("NFKC", word)
        forms = [word]
        if normal.strip():
            # Full-width letters are compared as typed: the database's case folding may not
            # know them (ocr finds no ＯＣＲ), so the upper-case form is looked for too.
            forms += [normal, normal.translate(FULL_WIDTH), normal.upper().translate(FULL_WIDTH)]
        terms.append(tuple(dict.fromkeys(forms)))
    return terms


def _term_q(model: Any, field: str, forms: tuple[str, ...]) -> Q:
    """``field`` holds one of the forms of a word."""
    match = Q()
    for form in forms:
        match |= _field_q(model, field, form)
    return match


def _json_escaped(word: str) -> bool:
    """The word holds characters that JSON text writes differently (quotes, backslashes,
    control characters) or that are its syntax (brackets, commas)."""
    return any(c in JSON_SYNTAX or ord(c) < 0x20 for c in word)


def _uncased(word: str) -> bool:
    return word.lower() == word.upper()


def _contains(model: Any, field: str, word: str) -> Q:
    """``field`` holds ``word``. A word without cased letters is looked up as it is, with
    the database's substring position (``STRPOS``/``INSTR``: no pattern to interpret, and
    faster per row than ``LIKE``); a cased word case-insensitively."""
    is_json = isinstance(model._meta.get_field(field), JSONField)
    if is_json and (connection.vendor != "postgresql" or _json_escaped(word)):
        return Q(ElementHolds(F(field), word))
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


def _usable_index(model: Any, fields: list[str]) -> SearchIndex | None:
    """The model's search index when it can find the candidates of a search of ``fields``:
    on PostgreSQL, holding every field of the model's own that is searched."""
    index: SearchIndex | None = getattr(model, "SEARCH_INDEX", None)
    if index is None or connection.vendor != "postgresql":
        return None
    own = {f for f in fields if "__" not in f}
    return index if own <= set(index.covers) else None


def _uncovered(index: SearchIndex, fields: list[str]) -> list[str]:
    """The searched fields across a relation whose text the index does not hold."""
    return [f for f in fields if "__" in f and f not in index.covers]


def _candidates(model: Any, index: SearchIndex, fields: list[str], forms: tuple[str, ...]) -> Q:
    """Rows that may hold a word (one of its ``forms``): found by the index, not indexed
    yet, or related to a row whose field (a relation's field the index does not hold)
    holds it."""
    found = Q(IndexHolds(F(index.field), forms)) | Q(**{f"{index.field}__isnull": True})
    for field in _uncovered(index, fields):
        relation, rest = field.split("__", 1)
        related = model._meta.get_field(relation).related_model
        keys = related.objects.filter(_term_q(related, rest, forms)).values("pk")
        found |= Q(EqualsAny(F(model._meta.get_field(relation).attname), keys))
    return found


def apply_search(queryset: QuerySet[Any], fields: list[str], text: str) -> QuerySet[Any]:
    """Items in which every word of ``text`` appears in at least one of ``fields``."""
    index = _usable_index(queryset.model, fields)
    words = search_terms(text)
    if index is not None and words and not _uncovered(index, fields):
        # The index holds every field: the rows holding all the words' bigrams (or not
        # indexed yet) are one condition, the same rows as one per word.
        queryset = queryset.filter(
            Q(IndexHolds(F(index.field), *words)) | Q(**{f"{index.field}__isnull": True})
        )
        index = None
    # A relation's field first: its condition is a probe of the related rows that hold the
    # word, found once per query, and the database tests an OR's parts in order, so a row it
    # admits skips reading its own texts (有限公司, in every firm's name: 250 → 190 ms for
    # 100,000 capabilities).
    ordered = sorted(fields, key=lambda field: "__" not in field)
    for word in words:
        match = Q()
        for field in ordered:
            match |= _term_q(queryset.model, field, word)
        if index is not None:
            match = _candidates(queryset.model, index, fields, word) & match
        queryset = queryset.filter(match)
    return queryset


def relevance(model: Any, weights: dict[str, int], text: str) -> Any:
    """How well an item answers ``text``: for every word, the weights of the fields that
    hold it, added up (a word in the title counts more than one in the description). The
    same substring conditions as ``apply_search``, so on any database."""
    total: Any = Value(0)
    for word in search_terms(text):
        for field, weight in weights.items():
            total = total + Case(
                When(_term_q(model, field, word), then=Value(weight)),
                default=Value(0),
                output_field=IntegerField(),
            )
    return total
