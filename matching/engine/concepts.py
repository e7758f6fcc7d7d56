"""Word-level explanations: which concepts of a need a capability matches, and how.

A *concept* of an item is one of its keywords, or a token of its text that is a domain word:
a name or synonym of an industry chain, or a word of the analyzer's extra dictionary (the
keywords used in the lists). General words of the text (平台, 部署) are not concepts. A need's
concept and a capability's concept match

* ``exact``: the same word (or a keyword of one found verbatim in the other's text, as the
  keyword-coverage feature finds it);
* ``synonym``: two surface forms (name or synonym) of one chain node, the lexicon the engine
  expands keywords with;
* ``vector``: neighbours in the word vectors of the dense text block (cnsyn), cosine at least
  :data:`VECTOR_MIN_SIMILARITY` (for a need's keyword, from the cosine at which keyword
  coverage counts it as a partial hit, ``keywords.NEIGHBOUR_MIN_SIMILARITY``; a compound
  keyword without a vector of its own through its pieces, shown joined: 探伤+成像), between
  words with vectors of their own (the dense block
  also gives an unknown compound the mean of its characters' vectors, and a third of
  cnsyn's words share one placeholder vector; neither names a neighbour a reader would
  accept: 智能预警 and 智能仓储 are 0.80 apart by their characters, 自动驾驶 and 人形机器人
  1.0 by the placeholder);
* ``chain``: the words name different chain nodes that are parent and child or related
  (siblings, or one node's name inside the other's), the levels of the chain-fit feature.

Each word is used at most once on each side; pairs come strongest first (exact, synonym,
vector, chain; then similarity, then pairs of keywords, then longer words) and bounded.
Pure and deterministic: the same words, taxonomy and vectors give the same pairs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np

from matching.engine.keywords import NEIGHBOUR_MIN_SIMILARITY, keyword_pieces
from matching.engine.scoring import CHAIN_RELATED, Taxonomy, normalize_text
from matching.engine.vectors import WordVectors

EXACT: Final = "exact"
SYNONYM: Final = "synonym"
VECTOR: Final = "vector"
CHAIN: Final = "chain"
HOWS: Final[tuple[str, ...]] = (EXACT, SYNONYM, VECTOR, CHAIN)

# Chain relations, read from the need's side: the capability's word names the parent of the
# need word's node, a child of it, or a related node (sibling, or sharing a term).
PARENT: Final = "parent"
CHILD: Final = "child"
RELATED: Final = "related"

# Word pairs below this cosine are not called neighbours. Among the demo lists' domain words
# with vectors of their own, pairs from 0.7 up read as close (中医药/中药 0.74, 冶炼/熔炼
# 0.73, 无人机/直升机 0.82, 无人机/飞行器 0.71); below it loose associations come in
# (平台/系统 0.62, 信息安全/物联网 0.65).
VECTOR_MIN_SIMILARITY: Final = 0.7
MAX_CONCEPTS: Final = 8
_MIN_TOKEN_CHARS: Final = 2


class WordSource(Protocol):
    """What the function reads of an item: a ``NeedDoc`` or ``CapabilityDoc`` fits."""

    @property
    def tokens(self) -> tuple[str, ...] | None: ...

    @property
    def keywords(self) -> tuple[str, ...]: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Words:
    """The words of one item for :func:`matched_concepts` (analyzer tokens, keywords, text)."""

    tokens: tuple[str, ...] | None
    keywords: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    """A need's word and a capability's word that match, and how.

    ``similarity`` is 1 for ``exact`` and ``synonym``, the cosine for ``vector`` and the
    chain-fit level (0.7 parent/child, 0.5 related) for ``chain``. ``relation`` is set for
    ``chain`` only. ``need_chains``/``capability_chains`` are the chain slugs the words name
    (for ``synonym`` the shared ones), empty for plain words.
    """

    need_word: str
    capability_word: str
    how: str
    similarity: float
    relation: str = ""
    need_chains: tuple[str, ...] = ()
    capability_chains: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready mapping (chain slugs as lists)."""
        return {
            "need_word": self.need_word,
            "capability_word": self.capability_word,
            "how": self.how,
            "similarity": self.similarity,
            "relation": self.relation,
            "need_chains": list(self.need_chains),
            "capability_chains": list(self.capability_chains),
        }


@dataclass(frozen=True, slots=True)
class _Word:
    norm: str
    shown: str  # as the item wrote it (a keyword's case), else the token
    keyword: bool
    slugs: tuple[str, ...]


def _concepts_of(
    item: WordSource, taxonomy: Taxonomy, dictionary: Collection[str] | None
) -> dict[str, _Word]:
    """The item's concepts by normalised form, keywords first, in a stable order."""
    term_map = taxonomy.term_map
    out: dict[str, _Word] = {}
    for keyword in item.keywords:
        norm = normalize_text(keyword).strip()
        if norm and norm not in out:
            out[norm] = _Word(norm, keyword.strip(), True, term_map.get(norm, ()))
    for token in item.tokens or ():
        if token in out or (len(token) < _MIN_TOKEN_CHARS and token not in term_map):
            continue
        if token in term_map or dictionary is None or token in dictionary:
            out[token] = _Word(token, token, False, term_map.get(token, ()))
    return out


def _haystack(item: WordSource) -> str:
    return normalize_text("\n".join((item.text, *item.keywords)))


@dataclass(frozen=True, slots=True)
class _Pair:
    need: _Word
    cap: _Word
    how: str
    similarity: float
    relation: str = ""
    need_chains: tuple[str, ...] = ()
    cap_chains: tuple[str, ...] = ()

    def key(self) -> tuple[int, float, int, int, str, str]:
        keywords = int(self.need.keyword) + int(self.cap.keyword)
        return (
            HOWS.index(self.how),
            -self.similarity,
            -keywords,
            -len(self.need.norm),
            self.need.norm,
            self.cap.norm,
        )


# A character that, written right before a word, says the text means the opposite of it:
# 非侵入式 asks for no 侵入式 technology, 不锈 is no 锈, 无线 no 线.
_NEGATING = frozenset("非不无")


def _affirmed_in(norm: str, hay: str) -> bool:
    """Whether ``norm`` occurs in ``hay`` at least once not negated (see ``_NEGATING``)."""
    start = hay.find(norm)
    while start >= 0:
        if start == 0 or hay[start - 1] not in _NEGATING:
            return True
        start = hay.find(norm, start + 1)
    return False


def _exact_pairs(
    needs: dict[str, _Word], caps: dict[str, _Word], need_hay: str, cap_hay: str
) -> Iterable[_Pair]:
    for norm, word in needs.items():
        if norm in caps:
            cap = caps[norm]
            # One word, shown as a keyword wrote it when either side has it as one.
            shown = word.shown if word.keyword or not cap.keyword else cap.shown
            yield _Pair(
                _Word(norm, shown, word.keyword, word.slugs),
                _Word(norm, shown, cap.keyword, cap.slugs),
                EXACT,
                1.0,
            )
        elif word.keyword and _affirmed_in(norm, cap_hay):
            # The keyword-coverage feature finds a keyword anywhere in the other's text.
            yield _Pair(word, _Word(norm, word.shown, False, word.slugs), EXACT, 1.0)
    for norm, word in caps.items():
        if word.keyword and norm not in needs and _affirmed_in(norm, need_hay):
            yield _Pair(_Word(norm, word.shown, False, word.slugs), word, EXACT, 1.0)


def _chain_relation(taxonomy: Taxonomy, need_slug: str, cap_slug: str) -> tuple[str, float]:
    i, j = taxonomy.index[need_slug], taxonomy.index[cap_slug]
    fit = float(taxonomy.fit[i, j])
    if int(taxonomy.parent[i]) == j:
        return PARENT, fit
    if int(taxonomy.parent[j]) == i:
        return CHILD, fit
    return RELATED, fit


def _taxonomy_pairs(
    needs: dict[str, _Word], caps: dict[str, _Word], taxonomy: Taxonomy
) -> Iterable[_Pair]:
    """Synonyms (two forms of one node) and chain relations between the named nodes."""
    named_caps = [w for w in caps.values() if w.slugs]
    for word in needs.values():
        if not word.slugs:
            continue
        for cap in named_caps:
            if cap.norm == word.norm:
                continue
            shared = tuple(s for s in word.slugs if s in cap.slugs)
            if shared:
                yield _Pair(word, cap, SYNONYM, 1.0, "", shared, shared)
                continue
            best: tuple[str, float, str, str] | None = None
            for a in word.slugs:
                for b in cap.slugs:
                    relation, fit = _chain_relation(taxonomy, a, b)
                    if fit >= CHAIN_RELATED and (best is None or fit > best[1]):
                        best = (relation, fit, a, b)
            if best is not None:
                relation, fit, a, b = best
                yield _Pair(word, cap, CHAIN, round(fit, 4), relation, (a,), (b,))


def _unit_rows(words: Sequence[_Word], vectors: WordVectors) -> np.ndarray:
    matrix = np.zeros((len(words), vectors.dim), dtype=np.float64)
    for row, word in enumerate(words):
        vector = vectors.own_vector(word.norm)
        if vector is not None:
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                matrix[row] = vector / norm
    return matrix


def _vector_pairs(
    needs: dict[str, _Word],
    caps: dict[str, _Word],
    vectors: WordVectors,
    minimum: float,
    cap_hay: str,
) -> Iterable[_Pair]:
    left, right = list(needs.values()), list(caps.values())
    if not left or not right:
        return
    cap_rows = _unit_rows(right, vectors)
    cosine = _unit_rows(left, vectors) @ cap_rows.T
    # A need keyword's neighbours are named from the cosine keyword coverage counts them
    # (keywords.NEIGHBOUR_MIN_SIMILARITY), so its partial hits are explained; other words
    # of the text only from ``minimum``.
    floor = np.array(
        [min(minimum, NEIGHBOUR_MIN_SIMILARITY) if w.keyword else minimum for w in left]
    ).reshape(-1, 1)
    for i, j in zip(*np.nonzero(cosine >= floor), strict=True):
        need, cap = left[int(i)], right[int(j)]
        if need.norm != cap.norm:
            yield _Pair(need, cap, VECTOR, round(float(cosine[i, j]), 4))
    # A compound keyword without a vector of its own, by the rule keyword coverage uses:
    # every piece found verbatim or through a neighbour, the weakest piece's cosine.
    for word in left:
        if not word.keyword or vectors.own_vector(word.norm) is not None:
            continue
        if word.norm in cap_hay:
            continue  # an exact hit, named by _exact_pairs
        pieces = keyword_pieces(word.norm, vectors)
        if not pieces:
            continue
        shown: list[str] = []
        weakest = 1.0
        for piece in pieces:
            if piece in cap_hay:
                shown.append(piece)
                continue
            vec = vectors.own_vector(piece)
            if vec is None:  # keyword_pieces keeps only pieces with vectors
                break
            sims = cap_rows @ (np.asarray(vec, dtype=np.float64) / np.linalg.norm(vec))
            best = int(np.argmax(sims)) if len(sims) else -1
            if best < 0 or sims[best] < NEIGHBOUR_MIN_SIMILARITY:
                break
            shown.append(right[best].shown)
            weakest = min(weakest, float(sims[best]))
        else:
            joined = "+".join(dict.fromkeys(shown))
            yield _Pair(word, _Word(joined, joined, False, ()), VECTOR, round(weakest, 4))


def matched_concepts(
    need: WordSource,
    capability: WordSource,
    *,
    taxonomy: Taxonomy,
    vectors: WordVectors | None = None,
    dictionary: Collection[str] | None = None,
    limit: int = MAX_CONCEPTS,
    min_similarity: float = VECTOR_MIN_SIMILARITY,
) -> list[ConceptMatch]:
    """The matched concepts of a need and a capability, strongest first, at most ``limit``.

    ``need`` and ``capability`` give analyzer tokens (``None`` counts as none), keywords and
    text (``NeedDoc``/``CapabilityDoc`` or :class:`Words`). ``dictionary`` is the set of
    domain words a token must belong to (besides chain terms) to be a concept; ``None``
    takes every token of two or more characters. Without ``vectors`` there are no
    ``vector`` pairs. Each word appears in at most one pair on each side.
    """
    needs = _concepts_of(need, taxonomy, dictionary)
    caps = _concepts_of(capability, taxonomy, dictionary)
    pairs = [
        *_exact_pairs(needs, caps, _haystack(need), _haystack(capability)),
        *_taxonomy_pairs(needs, caps, taxonomy),
    ]
    if vectors is not None:
        pairs.extend(_vector_pairs(needs, caps, vectors, min_similarity, _haystack(capability)))
    out: list[ConceptMatch] = []
    used_need: set[str] = set()
    used_cap: set[str] = set()
    for pair in sorted(pairs, key=_Pair.key):
        if len(out) >= limit:
            break
        if pair.need.norm in used_need or pair.cap.norm in used_cap:
            continue
        used_need.add(pair.need.norm)
        used_cap.add(pair.cap.norm)
        out.append(
            ConceptMatch(
                need_word=pair.need.shown,
                capability_word=pair.cap.shown,
                how=pair.how,
                similarity=pair.similarity,
                relation=pair.relation,
                need_chains=pair.need_chains,
                capability_chains=pair.cap_chains,
            )
        )
    return out
