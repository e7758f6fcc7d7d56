"""Pure scoring math for matching needs (场景需求) with capabilities (场景能力).

No Django, no settings, no I/O: plain dataclasses in, numpy arrays out, so the service, the
Celery tasks and the evaluation script all compute exactly the same numbers.

Every feature is a number in [0, 1]. The score of a pair is the weighted sum of its features
with the weights normalised to sum to 1, so a stored breakdown reproduces the stored score
exactly through :func:`score_from_breakdown`. Features are computed over arrays of candidate
pairs (one element per pair); the only Python loop over pairs is the keyword coverage, which
runs over each need's few candidates and not over all need × capability pairs.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FEATURES: Final[tuple[str, ...]] = (
    "text",
    "chain",
    "keywords",
    "trl",
    "region",
    "track_record",
    "capacity",
)

KeywordForms = tuple[str, tuple[str, ...]]
# (one need's keywords, capability rows) -> candidates × keywords vector similarities.
KeywordNeighbourFn = Callable[[Sequence[KeywordForms], IntArray], FloatArray]

# Features are rounded before the score is summed, so a breakdown shown to users (and stored
# as JSON floats) is exactly the one the score was computed from.
FEATURE_DECIMALS: Final = 6


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainNode:
    """One node of the industry-chain taxonomy (产业链 / 赛道).

    ``synonyms`` are the Chinese surface forms used for matching; ``name_zh`` (optional) is
    the node's display name and counts as one more surface form. ``parent_slug`` is ``None``
    (or empty) for a root.
    """

    slug: str
    parent_slug: str | None
    synonyms: tuple[str, ...] = ()
    name_zh: str = ""

    @property
    def terms(self) -> tuple[str, ...]:
        """Every non-empty surface form, name first, without duplicates, in a stable order."""
        seen: dict[str, None] = {}
        for term in (self.name_zh, *self.synonyms):
            stripped = term.strip()
            if stripped:
                seen.setdefault(stripped, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class NeedDoc:
    """A published scenario need as the engine sees it.

    ``text`` is the searchable text (title and description); ``keywords`` are the technology
    keywords the agency asks for. ``tokens`` are the cached analyzer tokens of ``text`` or
    ``None`` when they must be computed. ``region_path`` is the ancestor path of six-digit
    codes joined by "/", e.g. "360000/360100/360102". ``value_score`` is the experts' weighted
    mean (or ``None``); it orders work but is not a pair feature.
    """

    id: int
    ref: str
    org_id: int
    region_path: str
    chains: tuple[str, ...]
    keywords: tuple[str, ...]
    text: str
    tokens: tuple[str, ...] | None
    min_trl: int
    validation_type: str
    value_score: float | None = None


@dataclass(frozen=True, slots=True)
class CapabilityDoc:
    """A published capability of a firm (``org_id``) as the engine sees it.

    ``open_load`` is the number of open recommendations and pilots already held by this
    capability and ``capacity`` the number it can run at once.
    """

    id: int
    ref: str
    org_id: int
    region_path: str
    chains: tuple[str, ...]
    keywords: tuple[str, ...]
    text: str
    tokens: tuple[str, ...] | None
    trl: int
    certifications: tuple[str, ...] = ()
    validated_pilots: int = 0
    open_load: int = 0
    capacity: int = 1


@dataclass(frozen=True, slots=True)
class NegativeList:
    """The committee's negative list (负面清单): banned keywords and banned chain slugs.

    A banned chain bans its whole subtree in the taxonomy.
    """

    keywords: tuple[str, ...] = ()
    chain_slugs: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Policy: weights
# ---------------------------------------------------------------------------------------------


def _check_weight(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"weight {name!r} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class Weights:
    """Feature weights of a matching policy version; any non-negative values, not all zero.

    The engine normalises them to sum to 1 (:meth:`normalized`), so ``{"text": 2, ...}`` and
    ``{"text": 0.2, ...}`` with the same proportions give the same scores.
    """

    # Text relevance dominates: it already carries the taxonomy (chain block) and the
    # semantic signal, and its values among a need's candidates span a narrow band, so the
    # policy features (values over 0-1) must stay small to break near-ties rather than
    # overturn relevance. Keyword coverage counts vector neighbours (keywords.py). Chosen on
    # the dev needs of both labelled sets, cross-validated; see docs/matching-quality.md.
    text: float = 0.88
    chain: float = 0.01
    keywords: float = 0.05
    trl: float = 0.02
    region: float = 0.01
    track_record: float = 0.02
    capacity: float = 0.01

    def __post_init__(self) -> None:
        for name in FEATURES:
            _check_weight(name, float(getattr(self, name)))
        if sum(float(getattr(self, name)) for name in FEATURES) <= 0:
            raise ValueError("at least one feature weight must be positive")

    def normalized(self) -> tuple[float, ...]:
        """The weights in :data:`FEATURES` order, divided by their sum (they sum to 1)."""
        raw = [float(getattr(self, name)) for name in FEATURES]
        total = sum(raw)
        return tuple(value / total for value in raw)

    def as_dict(self) -> dict[str, float]:
        """The raw (not normalised) weights by feature name, for a JSON policy record."""
        return {name: float(getattr(self, name)) for name in FEATURES}

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float]) -> Weights:
        """Build from a policy record; missing features keep their default, unknown ones fail."""
        unknown = sorted(set(mapping) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown feature weights: {', '.join(unknown)}")
        return cls(**{name: float(value) for name, value in mapping.items()})


DEFAULT_WEIGHTS: Final = Weights()


@dataclass(frozen=True, slots=True)
class RegionWeights:
    """Region proximity values in [0, 1] by the closest administrative level two items share.

    ``same_county`` applies when the capability lies inside the need's own region (the same
    county, or anywhere inside a city- or province-wide need's region).
    """

    same_county: float = 1.0
    same_city: float = 0.8
    same_province: float = 0.6
    outside: float = 0.3

    def __post_init__(self) -> None:
        for item in fields(self):
            value = float(getattr(self, item.name))
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"region weight {item.name!r} must be in [0, 1], got {value!r}")

    def as_dict(self) -> dict[str, float]:
        """The values by level name, for a JSON policy record."""
        return {item.name: float(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float]) -> RegionWeights:
        """Build from a policy record; missing levels keep their default, unknown ones fail."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"unknown region levels: {', '.join(unknown)}")
        return cls(**{name: float(value) for name, value in mapping.items()})


DEFAULT_REGION_WEIGHTS: Final = RegionWeights()

# validation type -> (TRL the type expects at least, how many levels below it still earn
# partial credit). A concept validation (概念验证) tolerates early technology; a product
# validation (产品验证) wants a finished product (TRL >= 7).
VALIDATION_TRL: Final[Mapping[str, tuple[int, int]]] = {
    "concept": (1, 4),
    "demand": (3, 3),
    "technology": (4, 3),
    "product": (7, 2),
}
_DEFAULT_TRL_RULE: Final = (1, 3)

# Chain fit levels between the need's and the capability's taxonomy nodes.
CHAIN_SAME: Final = 1.0
CHAIN_PARENT_CHILD: Final = 0.7
CHAIN_RELATED: Final = 0.5  # siblings under a non-root parent, or nodes sharing a term
CHAIN_SAME_ROOT: Final = 0.2

# Track record: each validated pilot halves the remaining distance to 1; certifications
# shrink it further. Saturates, so ten pilots do not drown every other feature.
TRACK_CERT_FACTORS: Final[Mapping[str, float]] = {
    "first_of_kind": 0.5,
    "specialized_sme": 0.15,
    "high_tech": 0.15,
}


# ---------------------------------------------------------------------------------------------
# Text helpers shared with the analyzer
# ---------------------------------------------------------------------------------------------


# Full-width ASCII (！ to ～) and the ideographic space, the NFKC mappings Chinese text needs.
_FULLWIDTH: Final = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {
    "\u3000": " "
}
_FULLWIDTH_CHAR: Final = re.compile("[\uff01-\uff5e\u3000]")


def _halfwidth(match: re.Match[str]) -> str:
    return _FULLWIDTH[match.group()]


def normalize_text(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and lower case; used on both sides.

    Equal to ``unicodedata.normalize("NFKC", text).lower()``; mapping the full-width range
    first makes most Chinese text NFKC-normal already, which skips the slower full pass.
    The mapping is a substitution of the few full-width characters (mostly punctuation):
    three times faster than ``str.translate``, which looks up every character (building
    the index normalises every capability's text).
    """
    out = _FULLWIDTH_CHAR.sub(_halfwidth, text)
    if not unicodedata.is_normalized("NFKC", out):
        out = unicodedata.normalize("NFKC", out)
    return out.lower()


def capability_haystack(cap: CapabilityDoc) -> str:
    """The normalised text a keyword is looked up in: text plus keywords, one per line."""
    return normalize_text("\n".join((cap.text, *cap.keywords)))


# ---------------------------------------------------------------------------------------------
# Taxonomy
# ---------------------------------------------------------------------------------------------


class Taxonomy:
    """Index over the chain nodes: ancestry, subtrees, term lookup and the chain-fit matrix.

    Invariants: node ``i`` is ``nodes[i]`` in the given order; ``fit[i, j]`` is symmetric,
    in [0, 1], and 1 exactly on the diagonal. Unknown parent slugs are treated as roots.
    """

    def __init__(self, nodes: Sequence[ChainNode]) -> None:
        self.nodes: tuple[ChainNode, ...] = tuple(nodes)
        self.index: dict[str, int] = {node.slug: i for i, node in enumerate(self.nodes)}
        if len(self.index) != len(self.nodes):
            raise ValueError("duplicate chain slugs in the taxonomy")
        self.parent = np.array(
            [self.index.get(node.parent_slug or "", -1) for node in self.nodes], dtype=np.int64
        )
        self.root = np.array([self._root_of(i) for i in range(len(self.nodes))], dtype=np.int64)
        self._term_slugs = self._build_term_map()
        self.fit = self._build_fit_matrix()

    def __len__(self) -> int:
        return len(self.nodes)

    def _root_of(self, i: int) -> int:
        seen = {i}
        while self.parent[i] >= 0 and int(self.parent[i]) not in seen:
            i = int(self.parent[i])
            seen.add(i)
        return i

    def _build_term_map(self) -> dict[str, tuple[str, ...]]:
        mapping: dict[str, list[str]] = {}
        for node in self.nodes:
            for term in node.terms:
                slugs = mapping.setdefault(normalize_text(term), [])
                if node.slug not in slugs:
                    slugs.append(node.slug)
        return {term: tuple(slugs) for term, slugs in mapping.items()}

    def _build_fit_matrix(self) -> FloatArray:
        size = len(self.nodes)
        parent, root = self.parent, self.root
        is_root = parent < 0
        fit = np.zeros((size, size), dtype=np.float64)
        fit[root[:, None] == root[None, :]] = CHAIN_SAME_ROOT
        siblings = (parent[:, None] == parent[None, :]) & ~is_root[:, None]
        # Siblings directly under a root (e.g. two emerging industries) are only "same root".
        siblings &= ~is_root[np.maximum(parent, 0)][:, None]
        fit[siblings] = CHAIN_RELATED
        fit[self._shared_term_matrix()] = CHAIN_RELATED
        rows = np.arange(size)
        child = rows[parent >= 0]
        fit[child, parent[child]] = CHAIN_PARENT_CHILD
        fit[parent[child], child] = CHAIN_PARENT_CHILD
        np.fill_diagonal(fit, CHAIN_SAME)
        return fit

    def _shared_term_matrix(self) -> BoolArray:
        """Nodes related through their names: one node's term contains the other's (≥ 2 chars).

        This links e.g. 低空经济 and 智能无人系统+低空经济, or 储能 and 储能电池, which sit
        in different branches of the tree.
        """
        size = len(self.nodes)
        terms = [[normalize_text(t) for t in node.terms if len(t) >= 2] for node in self.nodes]
        shared = np.zeros((size, size), dtype=np.bool_)
        for i in range(size):
            for j in range(size):
                if i != j and any(a in b for a in terms[i] for b in terms[j]):
                    shared[i, j] = shared[j, i] = True
        return shared

    def slugs_for_term(self, term: str) -> tuple[str, ...]:
        """Chain slugs whose name or synonym equals ``term`` (normalised), in taxonomy order."""
        return self._term_slugs.get(normalize_text(term), ())

    @property
    def term_map(self) -> Mapping[str, tuple[str, ...]]:
        """Normalised surface form -> chain slugs."""
        return self._term_slugs

    def synonyms_of(self, term: str) -> tuple[str, ...]:
        """``term`` plus every normalised surface form of the nodes it names, without repeats."""
        norm = normalize_text(term)
        out: dict[str, None] = {norm: None}
        for slug in self.slugs_for_term(norm):
            for other in self.nodes[self.index[slug]].terms:
                out.setdefault(normalize_text(other), None)
        return tuple(out)

    def ancestors(self, slug: str) -> tuple[str, ...]:
        """Parent, grandparent, ... of ``slug`` (nearest first); empty for unknown slugs."""
        out: list[str] = []
        i = self.index.get(slug, -1)
        while i >= 0 and self.parent[i] >= 0 and len(out) < len(self.nodes):
            i = int(self.parent[i])
            out.append(self.nodes[i].slug)
        return tuple(out)

    def subtree(self, slug: str) -> frozenset[str]:
        """``slug`` and all its descendants (just ``{slug}`` when unknown)."""
        out = {slug}
        changed = True
        while changed:
            changed = False
            for node in self.nodes:
                if node.parent_slug in out and node.slug not in out:
                    out.add(node.slug)
                    changed = True
        return frozenset(out)

    def multi_hot(self, chain_lists: Sequence[Sequence[str]]) -> BoolArray:
        """Rows × nodes membership matrix; unknown slugs are ignored."""
        out = np.zeros((len(chain_lists), len(self.nodes)), dtype=np.bool_)
        for row, chains in enumerate(chain_lists):
            cols = [self.index[s] for s in chains if s in self.index]
            out[row, cols] = True
        return out


# ---------------------------------------------------------------------------------------------
# Columnar views of the documents
# ---------------------------------------------------------------------------------------------


def region_codes(path: str) -> tuple[int, int, int]:
    """The (level 1, level 2, level 3) codes of a region path; 0 where the path is shorter.

    ``"360000/360100/360102"`` -> ``(360000, 360100, 360102)``; ``"360000"`` -> ``(360000,
    0, 0)``; an empty path -> ``(0, 0, 0)`` (unknown region: only ever "outside").
    """
    parts = [int(p) for p in path.split("/") if p.strip()][:3]
    parts += [0] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def _region_matrix(paths: Iterable[str]) -> IntArray:
    rows = [region_codes(p) for p in paths]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


@dataclass(frozen=True, slots=True)
class NeedArrays:
    """Column arrays over a batch of needs, aligned with ``docs``."""

    docs: tuple[NeedDoc, ...]
    org_id: IntArray
    region: IntArray  # n × 3 codes
    min_trl: IntArray
    trl_floor: IntArray
    trl_tolerance: IntArray
    chain_fit_best: FloatArray  # n × nodes: best fit of any of the need's chains to each node
    # Per need, per keyword: (the keyword as the agency wrote it, its normalised forms).
    keyword_alternatives: tuple[tuple[KeywordForms, ...], ...]

    @classmethod
    def from_docs(cls, docs: Sequence[NeedDoc], taxonomy: Taxonomy) -> NeedArrays:
        """Column views; keywords are normalised and expanded with taxonomy synonyms."""
        rules = [VALIDATION_TRL.get(d.validation_type, _DEFAULT_TRL_RULE) for d in docs]
        hot = taxonomy.multi_hot([d.chains for d in docs])
        best = np.zeros((len(docs), len(taxonomy)), dtype=np.float64)
        for row in range(len(docs)):
            chosen = taxonomy.fit[hot[row]]
            if len(chosen):
                best[row] = chosen.max(axis=0)
        alternatives = tuple(
            tuple((k, taxonomy.synonyms_of(k)) for k in _unique_keywords(d.keywords)) for d in docs
        )
        return cls(
            docs=tuple(docs),
            org_id=np.array([d.org_id for d in docs], dtype=np.int64),
            region=_region_matrix(d.region_path for d in docs),
            min_trl=np.array([d.min_trl for d in docs], dtype=np.int64),
            trl_floor=np.array([r[0] for r in rules], dtype=np.int64),
            trl_tolerance=np.array([r[1] for r in rules], dtype=np.int64),
            chain_fit_best=best,
            keyword_alternatives=alternatives,
        )


def _unique_keywords(keywords: Iterable[str]) -> list[str]:
    """Non-empty keywords, stripped, without normalised repeats (AI and ａｉ count once)."""
    seen: dict[str, str] = {}
    for keyword in keywords:
        norm = normalize_text(keyword).strip()
        if norm:
            seen.setdefault(norm, keyword.strip())
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class CapabilityArrays:
    """Column arrays over all indexed capabilities, aligned with the index rows."""

    id: IntArray
    org_id: IntArray
    region: IntArray  # c × 3 codes
    trl: IntArray
    track_record: FloatArray
    capacity: FloatArray
    chain_hot: BoolArray  # c × nodes
    haystack: tuple[str, ...]

    @classmethod
    def from_docs(cls, docs: Sequence[CapabilityDoc], taxonomy: Taxonomy) -> CapabilityArrays:
        """Column views; the per-capability features that do not depend on the need."""
        return cls(
            id=np.array([d.id for d in docs], dtype=np.int64),
            org_id=np.array([d.org_id for d in docs], dtype=np.int64),
            region=_region_matrix(d.region_path for d in docs),
            trl=np.array([d.trl for d in docs], dtype=np.int64),
            track_record=track_record_feature(
                np.array([d.validated_pilots for d in docs], dtype=np.int64),
                [d.certifications for d in docs],
            ),
            capacity=capacity_feature(
                np.array([d.capacity for d in docs], dtype=np.int64),
                np.array([d.open_load for d in docs], dtype=np.int64),
            ),
            chain_hot=taxonomy.multi_hot([d.chains for d in docs]),
            haystack=tuple(capability_haystack(d) for d in docs),
        )


# ---------------------------------------------------------------------------------------------
# Features (each in [0, 1], over arrays of pairs)
# ---------------------------------------------------------------------------------------------


def text_feature(similarity: npt.ArrayLike) -> FloatArray:
    """Text relevance: the retrieval similarity (a cosine-like value), clipped to [0, 1]."""
    return np.clip(np.asarray(similarity, dtype=np.float64), 0.0, 1.0)


def chain_feature(need_best: FloatArray, cap_hot: BoolArray) -> FloatArray:
    """Chain fit per pair: the best taxonomy fit between any need chain and any cap chain.

    ``need_best`` is pairs × nodes (the need's best fit to each node), ``cap_hot`` pairs ×
    nodes. 1 for a shared node, 0.7 parent/child, 0.5 related, 0.2 same root, else 0.
    """
    if need_best.shape[1] == 0:
        return np.zeros(need_best.shape[0], dtype=np.float64)
    return np.where(cap_hot, need_best, 0.0).max(axis=1)


def trl_feature(
    cap_trl: IntArray, min_trl: IntArray, floor: IntArray, tolerance: IntArray
) -> FloatArray:
    """TRL fit: 1 when the capability meets max(need minimum, validation-type floor).

    Each missing level costs ``1 / tolerance``; e.g. a product validation (floor 7,
    tolerance 2) gives TRL 6 a half and TRL 5 nothing.
    """
    required = np.maximum(min_trl, floor)
    deficit = np.maximum(required - cap_trl, 0)
    return np.clip(1.0 - deficit / np.maximum(tolerance, 1), 0.0, 1.0)


def region_feature(
    need_region: IntArray, cap_region: IntArray, weights: RegionWeights
) -> FloatArray:
    """Region proximity per pair from the two pairs × 3 code matrices (see RegionWeights)."""
    need_depth = (need_region > 0).sum(axis=1)
    equal = need_region == cap_region
    # Length of the common prefix of the two paths (0..3), counting only known levels.
    common = np.cumprod(equal & (need_region > 0), axis=1).sum(axis=1)
    out = np.full(need_region.shape[0], weights.outside, dtype=np.float64)
    out[common >= 1] = weights.same_province
    out[common >= 2] = weights.same_city
    out[(common >= need_depth) & (need_depth > 0)] = weights.same_county
    return out


def track_record_feature(
    validated_pilots: IntArray, certifications: Sequence[Sequence[str]]
) -> FloatArray:
    """Track record: ``1 - 0.5**pilots × Π(1 - factor of each certification)``, in [0, 1)."""
    remaining = np.power(0.5, np.maximum(validated_pilots, 0).astype(np.float64))
    factors = np.array(
        [
            math.prod(1.0 - TRACK_CERT_FACTORS.get(c, 0.0) for c in set(certs))
            for certs in certifications
        ],
        dtype=np.float64,
    ).reshape(remaining.shape)
    return 1.0 - remaining * factors


def capacity_feature(capacity: IntArray, open_load: IntArray) -> FloatArray:
    """Open capacity: (capacity - open load) / capacity, clipped to [0, 1]; 0 when full."""
    cap = capacity.astype(np.float64)
    free = np.divide(cap - open_load, cap, out=np.zeros_like(cap), where=cap > 0)
    return np.clip(free, 0.0, 1.0)


def keyword_coverage(
    alternatives: Sequence[KeywordForms],
    haystacks: Sequence[str],
    neighbours: FloatArray | None = None,
) -> tuple[FloatArray, list[list[str]]]:
    """Share of one need's keywords found in each candidate's text or keywords.

    ``alternatives[k]`` is (keyword ``k`` as written, its normalised forms: itself and its
    taxonomy synonyms); a keyword counts as matched when any form is a substring of the
    candidate's haystack (substring, not token, so 固态电池 is found inside 全固态电池).
    ``neighbours`` (candidates × keywords, optional) is each keyword's best word-vector
    similarity with the candidate's words (``matching.engine.keywords``): a keyword not
    found verbatim counts that much, a partial hit, so a paraphrase is not scored as a miss.
    Returns the coverage per candidate (0 when the need has no keywords) and, per
    candidate, the keywords found verbatim or as a synonym, as written, in the need's order
    (the explanation names the neighbours: ``matching.engine.concepts``).
    """
    if not alternatives:
        return np.zeros(len(haystacks), dtype=np.float64), [[] for _ in haystacks]
    # The substring tests are Python (one per candidate and keyword); the rest is one array
    # operation per need, not per candidate (a full run scores half a million pairs).
    found = [[any(f in hay for f in forms) for _name, forms in alternatives] for hay in haystacks]
    matched = [
        [name for (name, _forms), hit in zip(alternatives, row, strict=True) if hit]
        for row in found
    ]
    credit = np.array(found, dtype=np.float64).reshape(len(haystacks), len(alternatives))
    if neighbours is not None:
        credit = np.maximum(credit, neighbours)
    return credit.sum(axis=1) / len(alternatives), matched


# ---------------------------------------------------------------------------------------------
# Score
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairFeatures:
    """Features of candidate pairs: ``values[p, f]`` is feature ``FEATURES[f]`` of pair ``p``."""

    values: FloatArray
    matched_keywords: list[list[str]] = field(default_factory=list)


def pair_features(
    needs: NeedArrays,
    caps: CapabilityArrays,
    need_rows: IntArray,
    cap_rows: IntArray,
    similarity: FloatArray,
    region_weights: RegionWeights,
    neighbours: KeywordNeighbourFn | None = None,
    *,
    keywords: bool = True,
) -> PairFeatures:
    """All features of the pairs (``needs`` row ``need_rows[p]``, ``caps`` row ``cap_rows[p]``).

    ``similarity`` is the retrieval's text similarity of each pair; ``neighbours``, when
    given, returns for one need's keywords and some capability rows the keywords' vector
    similarities (candidates × keywords) that keyword coverage counts as partial hits.
    Values are rounded to :data:`FEATURE_DECIMALS` so the stored breakdown is the one the
    score is summed from. ``keywords=False`` skips keyword coverage (the one feature
    computed need by need) and sets it to 1, its upper bound: every other feature is
    exact, so the weighted sum bounds the pair's score from above.
    """
    values = np.empty((len(need_rows), len(FEATURES)), dtype=np.float64)
    values[:, 0] = text_feature(similarity)
    values[:, 1] = chain_feature(needs.chain_fit_best[need_rows], caps.chain_hot[cap_rows])
    values[:, 3] = trl_feature(
        caps.trl[cap_rows],
        needs.min_trl[need_rows],
        needs.trl_floor[need_rows],
        needs.trl_tolerance[need_rows],
    )
    values[:, 4] = region_feature(needs.region[need_rows], caps.region[cap_rows], region_weights)
    values[:, 5] = caps.track_record[cap_rows]
    values[:, 6] = caps.capacity[cap_rows]
    matched: list[list[str]] = [[] for _ in range(len(need_rows))]
    if not keywords:
        values[:, 2] = 1.0
        return PairFeatures(values=np.round(values, FEATURE_DECIMALS), matched_keywords=matched)
    # Keyword coverage runs need by need over that need's candidates only.
    order = np.argsort(need_rows, kind="stable")
    bounds = np.flatnonzero(np.diff(need_rows[order])) + 1
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        alternatives = needs.keyword_alternatives[int(need_rows[group[0]])]
        hays = [caps.haystack[int(c)] for c in cap_rows[group]]
        near = None
        if neighbours is not None and alternatives:
            near = neighbours(alternatives, cap_rows[group])
        coverage, hits = keyword_coverage(alternatives, hays, near)
        values[group, 2] = coverage
        for slot, pair in enumerate(group):
            matched[int(pair)] = hits[slot]
    return PairFeatures(values=np.round(values, FEATURE_DECIMALS), matched_keywords=matched)


def weighted_scores(values: FloatArray, weights: Weights) -> FloatArray:
    """Scores of many pairs: Σ normalised weight × feature, summed in FEATURES order.

    The sum runs left to right exactly like :func:`score_from_breakdown`, so both give
    bit-identical floats for the same features.
    """
    total = np.zeros(values.shape[0], dtype=np.float64)
    for column, weight in enumerate(weights.normalized()):
        total = total + weight * values[:, column]
    return total


def score_from_breakdown(breakdown: Mapping[str, float], weights: Weights) -> float:
    """The score of one stored breakdown (feature -> value) under ``weights``.

    Equal, to the last bit, to the score the engine stored with that breakdown.
    """
    missing = [name for name in FEATURES if name not in breakdown]
    if missing:
        raise ValueError(f"breakdown misses features: {', '.join(missing)}")
    total = 0.0
    for name, weight in zip(FEATURES, weights.normalized(), strict=True):
        total = total + weight * float(breakdown[name])
    return total


# ---------------------------------------------------------------------------------------------
# Hard filters
# ---------------------------------------------------------------------------------------------


def _pair_keys(left: IntArray, right: IntArray) -> IntArray:
    # Organisation ids are database keys well below 2**31, so the pair packs into one int64.
    return (left.astype(np.int64) << 32) | right.astype(np.int64)


def conflict_mask(
    need_org: IntArray, cap_org: IntArray, related_pairs: Iterable[tuple[int, int]]
) -> BoolArray:
    """True for pairs in conflict of interest: same organisation or a declared relation.

    ``related_pairs`` holds (agency_org_id, firm_org_id); a relation is checked in both
    orientations because a conflict between two organisations has no direction.
    """
    conflict = need_org == cap_org
    pairs = np.array(list(related_pairs), dtype=np.int64).reshape(-1, 2)
    if len(pairs):
        declared = np.concatenate(
            [_pair_keys(pairs[:, 0], pairs[:, 1]), _pair_keys(pairs[:, 1], pairs[:, 0])]
        )
        conflict |= np.isin(_pair_keys(need_org, cap_org), declared)
    return conflict


def negative_list_mask(
    caps: CapabilityArrays, negative: NegativeList | None, taxonomy: Taxonomy
) -> BoolArray:
    """True for the capabilities (rows of ``caps``) the negative list bans.

    A capability is banned when a banned keyword (normalised) occurs in its text or
    keywords, or when one of its chains lies in the subtree of a banned chain.
    """
    banned = np.zeros(len(caps.id), dtype=np.bool_)
    if negative is None:
        return banned
    columns = sorted(
        {
            taxonomy.index[s]
            for slug in negative.chain_slugs
            for s in taxonomy.subtree(slug)
            if s in taxonomy.index
        }
    )
    if columns:
        banned |= caps.chain_hot[:, columns].any(axis=1)
    words = [normalize_text(k).strip() for k in negative.keywords if k.strip()]
    if words:
        # One pass per capability over the few banned words; runs once per index.
        banned |= np.array([any(w in hay for w in words) for hay in caps.haystack], dtype=bool)
    return banned
