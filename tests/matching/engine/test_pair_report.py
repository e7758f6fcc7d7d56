"""Unit tests for MatchEngine.explain_pair: one pair as rank() sees it (features, score, place
among the need's candidates, the hard filters), also for capabilities outside the index."""

import dataclasses

import pytest

from matching.engine import MatchEngine
from matching.engine.retrieval import RetrievalConfig
from matching.engine.scoring import NegativeList
from matching.engine.text import Analyzer
from tests.matching.engine.test_engine import (  # the same small world
    AGENCY,
    CAPS,
    NEEDS,
    analyzer,  # noqa: F401 - fixture
    cap,
    taxonomy,  # noqa: F401 - fixture
)

SOLID_STATE = NEEDS[0]


@pytest.fixture(scope="module")
def engine(analyzer: Analyzer) -> MatchEngine:  # noqa: F811 - the fixture above
    engine = MatchEngine(analyzer)
    engine.build_index(CAPS)
    return engine


def test_explain_pair_agrees_with_rank_for_every_candidate(engine: MatchEngine) -> None:
    ranked = engine.rank([SOLID_STATE], top_n=10)

    reports = [engine.explain_pair(SOLID_STATE, CAPS[c.cap_id - 1], top_n=10) for c in ranked]

    assert ranked
    for candidate, report in zip(ranked, reports, strict=True):
        assert report.score == candidate.score
        assert report.features == candidate.features
        assert report.matched_keywords == candidate.matched_keywords
        assert report.rank == candidate.rank
        assert report.candidate
        assert report.retrieved
        assert report.indexed
        assert not report.conflict
        assert not report.banned


def test_explain_pair_of_a_pair_below_the_cut(engine: MatchEngine) -> None:
    full = engine.rank([SOLID_STATE], top_n=10)
    last = full[-1]

    report = engine.explain_pair(SOLID_STATE, CAPS[last.cap_id - 1], top_n=1)

    assert len(full) > 1
    assert report.rank == last.rank
    assert not report.candidate
    assert report.pool == len(full)


def test_explain_pair_of_a_capability_retrieval_never_finds(analyzer: Analyzer) -> None:  # noqa: F811
    engine = MatchEngine(analyzer, retrieval=RetrievalConfig(chain_union_per_node=0))
    engine.build_index(CAPS)
    unrelated = CAPS[3]  # 钢铁轧制表面缺陷在线检测

    report = engine.explain_pair(SOLID_STATE, unrelated, top_n=10)

    assert report.indexed
    assert not report.retrieved
    assert report.rank is None
    assert 0.0 <= report.score < 0.5


def test_explain_pair_names_the_hard_filters(engine: MatchEngine) -> None:
    own = CAPS[5]  # the agency's own organisation offers it
    coal = CAPS[6]  # 燃煤掺烧

    conflict = engine.explain_pair(SOLID_STATE, own, top_n=10)
    banned = engine.explain_pair(
        SOLID_STATE, coal, top_n=10, negative_list=NegativeList(keywords=("燃煤",))
    )
    related = engine.explain_pair(SOLID_STATE, CAPS[1], top_n=10, related_pairs=[(102, AGENCY)])

    assert own.org_id == AGENCY
    assert (conflict.conflict, conflict.retrieved, conflict.rank) == (True, True, None)
    assert (banned.banned, banned.retrieved, banned.rank) == (True, True, None)
    assert related.conflict
    assert conflict.score > 0  # scored all the same


def test_explain_pair_scores_a_capability_outside_the_index_as_if_indexed(
    engine: MatchEngine,
) -> None:
    inside = CAPS[0]
    outside = dataclasses.replace(inside, id=99)

    report_in = engine.explain_pair(SOLID_STATE, inside, top_n=10)
    report_out = engine.explain_pair(SOLID_STATE, outside, top_n=10)
    other = engine.explain_pair(SOLID_STATE, cap(98, 199, "陶瓷文创设计", ("ceramics",)))

    assert (report_out.indexed, report_out.retrieved, report_out.rank) == (False, False, None)
    assert report_out.features == pytest.approx(report_in.features, abs=1e-6)
    assert report_out.score == pytest.approx(report_in.score, abs=1e-6)
    assert other.score < report_out.score
