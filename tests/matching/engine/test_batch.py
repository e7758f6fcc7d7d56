"""Small pieces the engine's batch work relies on: the paused collector, text
normalisation, and the CSR row gather of keyword credit."""

import gc
import threading
import unicodedata

import numpy as np
import pytest
import scipy.sparse as sp

from matching.engine.batch import collector_paused
from matching.engine.keywords import _csr_rows
from matching.engine.scoring import normalize_text


def test_the_collector_is_paused_inside_and_restored_after_nested_blocks():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()


def test_the_collector_is_restored_after_an_error():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_other_threads_leave_the_collector_as_it_is():
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other():
        with collector_paused():
            seen.append(gc.isenabled())
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    assert gc.isenabled()  # a worker thread's block does not pause the whole process
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    release.set()
    thread.join(5)
    assert seen == [True]


@pytest.mark.parametrize(
    "text",
    [
        "基于深度学习的工业视觉检测，精度（表面缺陷）达到９９．５％；ＡＰＩ接口",
        "Ｈｅｌｌｏ\u3000ＷＯＲＬＤ！～",
        "ﾊﾝｶｸ ｶﾀｶﾅ and ﬁ ligature, ① ² ㎏",  # NFKC beyond the full-width range
        "",
        "plain ascii, Lower and UPPER",
    ],
)
def test_normalize_text_is_nfkc_and_lower_case(text):
    assert normalize_text(text) == unicodedata.normalize("NFKC", text).lower()


def test_every_full_width_character_maps_like_nfkc():
    text = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
    assert normalize_text(text) == unicodedata.normalize("NFKC", text).lower()


def test_csr_rows_equal_scipys_row_indexing():
    rng = np.random.default_rng(7)
    dense = sp.random(200, 50, density=0.1, format="csr", random_state=7).toarray()
    dense[5] = 0  # an empty row
    matrix = sp.csr_matrix(dense)
    rows = rng.integers(0, 200, size=80)
    rows[3] = 5
    indices, indptr = _csr_rows(matrix, rows)
    expected = matrix[rows]
    assert np.array_equal(indptr, expected.indptr)
    assert np.array_equal(indices, expected.indices)
    empty_indices, empty_indptr = _csr_rows(matrix, np.array([], dtype=np.int64))
    assert len(empty_indices) == 0
    assert empty_indptr.tolist() == [0]
