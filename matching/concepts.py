"""The matched concepts of the pairs a page or the API shows, and their sentences.

Computed when a pair is shown, for the shown pairs only: about half a millisecond a pair
(the engine's ``matched_concepts`` over cached tokens), against the half million pairs a
full run scores, most of which nobody opens (docs/design-notes.md has the measurements).
"""

import re
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from matching import documents
from matching.engine import concepts as engine_concepts
from matching.engine.concepts import ConceptMatch, Words
from matching.engine.scoring import normalize_text
from matching.engine.text import dictionary_words
from reference.selectors import chains_by_slug

_DOMAIN: dict[tuple[Any, ...], frozenset[str]] = {}


def _domain_words() -> frozenset[str]:
    """Chain names and synonyms plus the lists' keywords the analyzer knows (normalised):
    the words of a text that count as concepts."""
    nodes, words = documents.taxonomy_nodes(), tuple(documents.latest_dictionary_words())
    key = (nodes, words)
    found = _DOMAIN.get(key)
    if found is None:
        found = frozenset(dictionary_words(nodes, words))
        _DOMAIN.clear()
        _DOMAIN[key] = found
    return found


def _row(item: Any) -> dict[str, Any]:
    return {"id": item.pk, "title": item.title, "description": item.description}


def concepts_of_pairs(
    *, pairs: Sequence[tuple[Any, Any]]
) -> dict[tuple[int, int], list[ConceptMatch]]:
    """The matched concepts of each (need, capability) pair, by (need id, capability id).

    ``pairs`` holds model instances (title, description, keywords are read); tokens come
    from the token cache (``documents.display_tokens``), two queries whatever the number
    of pairs.
    """
    if not pairs:
        return {}
    needs = {need.pk: need for need, _cap in pairs}
    caps = {cap.pk: cap for _need, cap in pairs}
    need_tokens = documents.display_tokens(kind="need", rows=[_row(n) for n in needs.values()])
    cap_tokens = documents.display_tokens(kind="capability", rows=[_row(c) for c in caps.values()])
    taxonomy = documents.taxonomy()
    vectors = documents.word_vectors()
    domain = _domain_words()

    def words(item: Any, tokens: dict[int, tuple[str, ...]]) -> Words:
        return Words(
            tokens=tokens.get(item.pk, ()),
            keywords=tuple(item.keywords or ()),
            text=documents.text_of(_row(item)),
        )

    return {
        (need.pk, cap.pk): engine_concepts.matched_concepts(
            words(need, need_tokens),
            words(cap, cap_tokens),
            taxonomy=taxonomy,
            vectors=vectors,
            dictionary=domain,
        )
        for need, cap in pairs
    }


def concept_sentence(concept: ConceptMatch) -> str:
    """One matched concept as a sentence, in the active language."""
    values = {"need": concept.need_word, "capability": concept.capability_word}
    if concept.how == engine_concepts.EXACT:
        return _("需求与能力都提到“%(word)s”") % {"word": concept.need_word}
    if concept.how == engine_concepts.SYNONYM:
        return _synonym_sentence(concept, values)
    if concept.how == engine_concepts.VECTOR:
        return _vector_sentence(concept)
    if concept.relation == engine_concepts.PARENT:
        return _("能力的“%(capability)s”涵盖需求的“%(need)s”（上级产业链）") % values
    if concept.relation == engine_concepts.CHILD:
        return _("需求的“%(need)s”涵盖能力的“%(capability)s”（下级产业链）") % values
    return _("需求的“%(need)s”与能力的“%(capability)s”属于相关产业链") % values


def _synonym_sentence(concept: ConceptMatch, values: dict[str, str]) -> str:
    """Two forms of one chain node. The words a node lists are as often kinds of it as other
    names for it (有色金属 lists 铜, 钨 and 稀土): two of them are no synonyms of each other,
    but both of the node, and a node's name covers a word it lists."""
    node = chains_by_slug().get(concept.need_chains[0]) if concept.need_chains else None
    if node is None:
        return _("需求的“%(need)s”与能力的“%(capability)s”属于相关产业链") % values
    names = {node.name_zh.casefold(), node.name_en.casefold()}
    if concept.need_word.casefold() in names:
        return _("能力的“%(capability)s”属于需求的“%(need)s”") % values
    if concept.capability_word.casefold() in names:
        return _("需求的“%(need)s”属于能力的“%(capability)s”") % values
    return _("需求的“%(need)s”与能力的“%(capability)s”同属“%(chain)s”") % {
        **values,
        "chain": node.name,
    }


def _vector_sentence(concept: ConceptMatch) -> str:
    """A word-vector pair in a reader's words: no similarity figures and no "+" joins (the
    breakdown keeps both). A compound keyword matched through its pieces names them, except
    letters cut out of a Latin word (the mi, ic, cr of Micro-LED mean nothing to a reader:
    the sentence says "and more", or that the word matched partly); a pair below the cosine
    at which words read as close (0.7) is called related, not close."""
    pieces = concept.capability_word.split("+")
    # A piece inside another shown piece adds nothing for a reader (无人 beside 无人机).
    pieces = [p for p in pieces if not any(p != q and p in q for q in pieces)]
    if len(pieces) > 1:
        named = [_as_written(p, concept.need_word) for p in pieces if not _latin_cut(p, concept)]
        if not named:
            return _partly_sentence(concept)
        listed = pgettext("between quoted words", "、").join(f"“{piece}”" for piece in named)
        if len(named) < len(pieces):
            listed = pgettext("quoted words, some left out", "%(words)s等") % {"words": listed}
        values = {"need": concept.need_word, "pieces": listed}
        if concept.similarity >= 1.0:
            return _("需求的“%(need)s”拆开后的%(pieces)s都出现在能力中") % values
        if concept.similarity >= engine_concepts.VECTOR_MIN_SIMILARITY:
            return _("需求的“%(need)s”拆开后与能力的%(pieces)s意思相近") % values
        return _("需求的“%(need)s”拆开后与能力的%(pieces)s有一定关联") % values
    values = {"need": concept.need_word, "capability": concept.capability_word}
    if concept.similarity >= engine_concepts.VECTOR_MIN_SIMILARITY:
        return _("需求的“%(need)s”与能力的“%(capability)s”意思相近") % values
    return _("需求的“%(need)s”与能力的“%(capability)s”有一定关联") % values


_LATIN_WORD = re.compile(r"[a-z0-9]+")


def _latin_cut(piece: str, concept: ConceptMatch) -> bool:
    """Whether ``piece`` is letters cut out of a Latin word of the need's keyword (mi of
    micro): matching compares through them, a reader learns nothing from them. Whole words
    (led of Micro-LED), Chinese pieces and the capability's own words are kept."""
    need = normalize_text(concept.need_word)
    return (
        any("a" <= ch <= "z" for ch in piece)
        and piece in need
        and piece not in _LATIN_WORD.findall(need)
    )


def _as_written(piece: str, need_word: str) -> str:
    """A piece of the need's keyword as the keyword writes it (LED, not the compared led)."""
    start = need_word.lower().find(piece)
    if start < 0 or len(need_word) != len(need_word.lower()):
        return piece
    return need_word[start : start + len(piece)]


def _partly_sentence(concept: ConceptMatch) -> str:
    """A compound keyword matched only through letters of its Latin words: said partly."""
    values = {"need": concept.need_word}
    if concept.similarity >= 1.0:
        return _("需求的“%(need)s”部分出现在能力中") % values
    return _("需求的“%(need)s”与能力的用词部分相近") % values
