"""Dense word vectors for the matching: the Chinese word vectors inside the installed cnsyn
wheel (nothing is downloaded), converted once and cached as ``.npy``, and the idf-weighted
mean vector of a document's terms."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from matching.engine.scoring import FloatArray, normalize_text
from matching.engine.text import default_cache_dir

Float32Array = npt.NDArray[np.float32]


def l2_dense(matrix: npt.NDArray[Any]) -> Float32Array:
    """Dense rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out = np.divide(matrix, norms, out=np.zeros(matrix.shape, dtype=np.float64), where=norms > 0)
    return out.astype(np.float32)


def _cnsyn_model_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("cnsyn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the cnsyn package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "query" / "words_tree_mini.m"


def _read_cnsyn_model(path: Path) -> tuple[list[str], FloatArray]:
    """The words and vectors inside cnsyn's joblib file, without scikit-learn's BallTree.

    The file pickles a BallTree from an old scikit-learn that the installed one cannot
    unpickle; a stub stands in for every scikit-learn class and keeps the raw state, whose
    first array holds the vectors in the order of the word list. The file ships inside an
    installed wheel (trusted, never downloaded), which is why unpickling it is acceptable.
    """
    from joblib import numpy_pickle

    class _Stub:
        def __init__(self, *args: Any) -> None:
            self.state: Any = None

        def __setstate__(self, state: Any) -> None:
            self.state = state

    def _new_obj(cls: type) -> Any:
        return cls()

    class _Unpickler(numpy_pickle.NumpyUnpickler):  # type: ignore[misc]
        def find_class(self, module: str, name: str) -> Any:
            if module.startswith("sklearn"):
                return _new_obj if name == "newObj" else type(name, (_Stub,), {})
            return super().find_class(module, name)

    with path.open("rb") as handle:
        loaded = _Unpickler(str(path), handle, ensure_native_byte_order=True).load()
    words = [str(w) for w in loaded["words"]]
    vectors = np.asarray(loaded["model"].state[0], dtype=np.float64)
    if vectors.shape[0] != len(words):
        raise ValueError("cnsyn vectors and words disagree in length")
    return words, vectors


class WordVectors:
    """Chinese word vectors (about 130k words, 75-d) from the cnsyn wheel, cached as .npy.

    Vectors are L2-normalised float32; words are normalised like tokens. A token missing
    from the vocabulary falls back to the mean of its characters' vectors, which keeps
    domain compounds like 固态电池 in play.
    """

    def __init__(self, words: Sequence[str], vectors: Float32Array) -> None:
        self.words = list(words)
        self.vectors = vectors
        self.lookup = {w: i for i, w in enumerate(self.words)}
        self.dim = int(vectors.shape[1])
        self._shared: npt.NDArray[np.bool_] | None = None

    @classmethod
    def load(cls, cache_dir: str | Path | None = None) -> WordVectors:
        """Read the cached arrays, or convert cnsyn's file once and cache the result.

        Nothing is downloaded: the source is the file inside the installed wheel. The cache
        defaults to ``~/.cache/scenario-market/vectors``.
        """
        cache_dir = cache_dir if cache_dir is not None else default_cache_dir("vectors")
        source = _cnsyn_model_path()
        stamp = hashlib.sha256(f"{source.stat().st_size}:{source.name}".encode()).hexdigest()[:12]
        base = Path(cache_dir) / f"cnsyn-{stamp}"
        vec_path, word_path = base.with_suffix(".vectors.npy"), base.with_suffix(".words.npy")
        if vec_path.exists() and word_path.exists():
            words = np.load(word_path, allow_pickle=False)
            return cls([str(w) for w in words], np.load(vec_path, allow_pickle=False))
        raw_words, raw = _read_cnsyn_model(source)
        words = [normalize_text(w) for w in raw_words]
        vectors = l2_dense(raw)
        try:
            base.parent.mkdir(parents=True, exist_ok=True)
            _atomic_save_npy(word_path, np.array(words))
            _atomic_save_npy(vec_path, vectors)
        except OSError:
            pass  # a cache: without it (a full or read-only disk) the next load converts again
        return cls(words, vectors)

    def token_vector(self, token: str) -> Float32Array | None:
        """The token's vector, the mean of its known characters' vectors, or None."""
        row = self.lookup.get(token)
        if row is not None:
            return self.vectors[row]
        rows = [self.lookup[ch] for ch in token if ch in self.lookup]
        if not rows:
            return None
        return np.asarray(self.vectors[rows].mean(axis=0), dtype=np.float32)

    def term_matrix(self, terms: Sequence[str]) -> Float32Array:
        """terms × dim matrix of :meth:`token_vector` (zero rows for unknown terms)."""
        out = np.zeros((len(terms), self.dim), dtype=np.float32)
        for row, term in enumerate(terms):
            vec = self.token_vector(term)
            if vec is not None:
                out[row] = vec
        return out

    def shared_rows(self) -> npt.NDArray[np.bool_]:
        """Rows holding the one vector that many words share (computed once).

        About 39,000 of cnsyn's 130,000 words carry the same placeholder vector (the words
        its training never placed), so any two of them have cosine 1. Scoring uses the
        vectors as they are; explanations must not call such words neighbours.
        """
        if self._shared is None:
            shared = np.zeros(len(self.words), dtype=np.bool_)
            if len(self.words):
                probe = np.linspace(1.0, 2.0, self.dim, dtype=np.float64)
                keys = np.asarray(self.vectors, dtype=np.float64) @ probe
                _values, first, counts = np.unique(keys, return_index=True, return_counts=True)
                top = int(np.argmax(counts))
                if counts[top] > max(0.01 * len(self.words), 1):
                    shared = np.all(self.vectors == self.vectors[first[top]], axis=1)
            self._shared = shared
        return self._shared

    def own_vector(self, token: str) -> Float32Array | None:
        """The token's own vector: None for a word outside the vocabulary (no mean of its
        characters here) and for a word that only has the shared placeholder."""
        row = self.lookup.get(token)
        if row is None or self.shared_rows()[row]:
            return None
        return self.vectors[row]


_VECTORS: dict[str, WordVectors] = {}
_VECTORS_LOCK = threading.Lock()


def get_word_vectors(cache_dir: str | Path | None = None) -> WordVectors:
    """The process-wide :class:`WordVectors` (about 40 MB), loaded once per cache directory."""
    key = str(cache_dir)
    with _VECTORS_LOCK:
        if key not in _VECTORS:
            _VECTORS[key] = WordVectors.load(cache_dir)
        return _VECTORS[key]


def atomic_save(path: Path, save: Any) -> None:
    """Write a cache file through ``save(handle)`` beside ``path``, then rename it over it: a
    failed write (a full disk) leaves no half file, not even the temporary one, and raises."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            save(handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _atomic_save_npy(path: Path, array: npt.NDArray[Any]) -> None:
    atomic_save(path, lambda handle: np.save(handle, array, allow_pickle=False))


def dense_rows(counts: sp.csr_matrix, idf: FloatArray, term_vectors: Float32Array) -> Float32Array:
    """idf-weighted mean of term vectors per row, L2-normalised (zero rows stay zero)."""
    weights = counts.astype(np.float32)
    weights.data = weights.data * idf[weights.indices].astype(np.float32)
    return l2_dense(np.asarray(weights @ term_vectors, dtype=np.float64))
