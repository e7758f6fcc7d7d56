"""Chinese text analysis for matching: jieba with a domain dictionary, stop words, synonyms.

The analyzer is deterministic: the same taxonomy, extra words, stop words and code version
give the same tokens and the same :attr:`Analyzer.fingerprint`, which callers store next to
cached tokens so a dictionary change invalidates them. Building one costs about a second (jieba
loads its 350k-word dictionary), so :func:`get_analyzer` keeps one per fingerprint per process.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import jieba

from matching.engine.scoring import ChainNode, Taxonomy, normalize_text

# Bump when the tokenization code changes in a way that changes tokens.
ANALYZER_VERSION: Final = "1"
STOPWORDS_PATH: Final = Path(__file__).resolve().parent / "data" / "stopwords_zh.txt"
# Words jieba can never produce as one token (its segmenter splits on these characters).
_UNSEGMENTABLE: Final = frozenset(" \t\r\n,，。;；、/\\|()（）[]【】'\"")
_CACHE_SIZE: Final = 4

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def read_stopwords(path: Path = STOPWORDS_PATH) -> frozenset[str]:
    """The stop words of a file with one word per line; ``#`` starts a comment line.

    Cached per path: :func:`get_analyzer` reads them on every call to compute the key.
    """
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            words.add(normalize_text(word))
    return frozenset(words)


def read_taxonomy_csv(path: str | Path) -> tuple[ChainNode, ...]:
    """Chain nodes from ``industry_chains.csv`` (slug,name_zh,name_en,parent_slug,synonyms_zh).

    Synonyms are ``;``-separated; the Chinese name becomes the node's ``name_zh``.
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return tuple(
            ChainNode(
                slug=row["slug"].strip(),
                parent_slug=(row.get("parent_slug") or "").strip() or None,
                synonyms=tuple(s.strip() for s in (row.get("synonyms_zh") or "").split(";")),
                name_zh=(row.get("name_zh") or "").strip(),
            )
            for row in csv.DictReader(handle)
        )


def default_cache_dir(kind: str = "jieba") -> Path:
    """A per-user cache directory (``~/.cache/scenario-market/<kind>``), not a shared /tmp."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scenario-market" / kind


def _usable_dir(wanted: str | Path | None) -> Path:
    path = Path(wanted) if wanted is not None else default_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        # A read-only home: fall back to a private directory rather than the shared /tmp file.
        path = Path(tempfile.mkdtemp(prefix="jieba-"))
    return path


def dictionary_words(taxonomy: Sequence[ChainNode], extra_words: Iterable[str]) -> tuple[str, ...]:
    """The domain dictionary: every taxonomy name and synonym plus the extra words.

    Normalised, at least two characters, free of characters jieba splits on, sorted by
    (length, word) so shorter words enter jieba first and the result is order-independent.
    """
    words: set[str] = set()
    for term in [t for node in taxonomy for t in node.terms] + list(extra_words):
        norm = normalize_text(term).strip()
        if len(norm) >= 2 and not _UNSEGMENTABLE.intersection(norm):
            words.add(norm)
    return tuple(sorted(words, key=lambda w: (len(w), w)))


def analyzer_fingerprint(dictionary: Sequence[str], stopwords: Iterable[str], *, hmm: bool) -> str:
    """Hash of everything that determines tokens: code version, jieba, options, words."""
    payload = json.dumps(
        {
            "version": ANALYZER_VERSION,
            "jieba": jieba.__version__,
            "hmm": hmm,
            "dictionary": list(dictionary),
            "stopwords": sorted(stopwords),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _keep(token: str) -> bool:
    """A token carries meaning if it has a letter or a CJK character (not only digits/punct)."""
    return any(ch.isalpha() for ch in token)


class Analyzer:
    """Segments text into normalised tokens and maps tokens to taxonomy chains.

    Invariants: tokens are NFKC-normalised and lower-cased, never stop words, never
    punctuation- or digit-only; every dictionary word (taxonomy names and synonyms, extra
    words such as the lists' keywords) comes out as one token where it occurs, e.g.
    固态电池, 低空经济, evtol, micro-led.
    """

    def __init__(
        self,
        taxonomy: Sequence[ChainNode],
        extra_words: Iterable[str] = (),
        *,
        stopwords: Iterable[str] | None = None,
        cache_dir: str | Path | None = None,
        hmm: bool = False,
    ) -> None:
        self.taxonomy = Taxonomy(taxonomy)
        self.dictionary = dictionary_words(taxonomy, extra_words)
        self.stopwords = frozenset(
            normalize_text(w) for w in (read_stopwords() if stopwords is None else stopwords)
        )
        # HMM guesses unknown words from context. It is off by default: on the dev needs it
        # made no difference (nDCG@10 0.902 without, 0.903 with), and it slows jieba down.
        self.hmm = hmm
        self.fingerprint = analyzer_fingerprint(self.dictionary, self.stopwords, hmm=hmm)
        self._tokenizer = self._build_tokenizer(_usable_dir(cache_dir))

    def _build_tokenizer(self, cache_dir: Path) -> jieba.Tokenizer:
        logging.getLogger("jieba").setLevel(logging.WARNING)  # it logs every load at DEBUG
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = str(cache_dir)
        tokenizer.initialize()
        for word in self.dictionary:
            # Without a frequency jieba computes the smallest one that keeps the word whole.
            tokenizer.add_word(word)
        return tokenizer

    def tokenize(self, text: str) -> tuple[str, ...]:
        """Tokens of ``text`` in order (duplicates kept, for term frequencies)."""
        norm = normalize_text(text)
        out = []
        for raw in self._tokenizer.cut(norm, HMM=self.hmm):
            token = raw.strip()
            if token and token not in self.stopwords and _keep(token):
                out.append(token)
        return tuple(out)

    def tokenize_many(self, texts: Iterable[str]) -> list[tuple[str, ...]]:
        """:meth:`tokenize` over many texts, in order."""
        return [self.tokenize(text) for text in texts]

    def subwords(self, token: str) -> tuple[str, ...]:
        """Dictionary words of 2 and 3 characters inside a longer token, in order.

        固态电池 -> 固态, 电池: a need about 锂电池回收 then shares 电池 with a capability
        about 动力电池, a partial match that whole compound tokens alone would miss.
        """
        if len(token) <= 2:
            return ()
        freq = self._tokenizer.FREQ
        out = []
        for size in (2, 3):
            for start in range(len(token) - size + 1):
                piece = token[start : start + size]
                if piece != token and freq.get(piece) and piece not in self.stopwords:
                    out.append(piece)
        return tuple(out)

    def chain_slugs(self, token: str) -> tuple[str, ...]:
        """The chain slugs a token names (a chain's name or synonym); empty otherwise."""
        return self.taxonomy.slugs_for_term(token)

    def expand_chains(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """The chains named anywhere in ``tokens``, in taxonomy order, without repeats."""
        # Tokens are normalised already, so the term map is read directly (hot path).
        term_map = self.taxonomy.term_map
        found = {slug for token in tokens for slug in term_map.get(token, ())}
        return tuple(node.slug for node in self.taxonomy.nodes if node.slug in found)


_ANALYZERS: OrderedDict[str, Analyzer] = OrderedDict()
_LOCK = threading.Lock()


def get_analyzer(
    taxonomy: Sequence[ChainNode],
    extra_words: Iterable[str] = (),
    *,
    cache_dir: str | Path | None = None,
    hmm: bool = False,
) -> Analyzer:
    """The process-wide analyzer for this taxonomy and these words, built on first use.

    Keyed by the fingerprint, so a worker builds it once and a changed dictionary gets a new
    one; the few most recent analyzers are kept.
    """
    words = list(extra_words)
    stopwords = read_stopwords()
    key = analyzer_fingerprint(dictionary_words(taxonomy, words), stopwords, hmm=hmm)
    with _LOCK:
        analyzer = _ANALYZERS.get(key)
        if analyzer is None:
            analyzer = Analyzer(taxonomy, words, stopwords=stopwords, cache_dir=cache_dir, hmm=hmm)
            _ANALYZERS[key] = analyzer
            while len(_ANALYZERS) > _CACHE_SIZE:
                _ANALYZERS.popitem(last=False)
        _ANALYZERS.move_to_end(key)
        return analyzer
