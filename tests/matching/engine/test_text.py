"""Unit tests for matching.engine.text: segmentation, stop words, synonyms, caching. No database."""

from pathlib import Path

import pytest

from matching.engine.scoring import ChainNode
from matching.engine.text import Analyzer, get_analyzer, read_stopwords, read_taxonomy_csv

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"


@pytest.fixture(scope="module")
def taxonomy() -> tuple[ChainNode, ...]:
    return read_taxonomy_csv(TAXONOMY_CSV)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba")


@pytest.fixture(scope="module")
def analyzer(taxonomy: tuple[ChainNode, ...], cache_dir: Path) -> Analyzer:
    return Analyzer(taxonomy, ["巡检机器人", "数字人民币"], cache_dir=cache_dir)


def test_read_taxonomy_csv_splits_synonyms_and_keeps_the_name(
    taxonomy: tuple[ChainNode, ...],
) -> None:
    by_slug = {node.slug: node for node in taxonomy}

    node = by_slug["solid-state-battery"]

    assert node.parent_slug == "future-energy"
    assert node.name_zh == "固态电池"
    assert node.terms == ("固态电池", "全固态电池", "半固态电池", "固态电解质")
    assert by_slug["traditional"].parent_slug is None


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("推进固态电池中试验证", "固态电池"),
        ("发展低空经济新业态", "低空经济"),
        ("非侵入式脑机接口康复", "脑机接口"),
        ("开展eVTOL适航验证", "evtol"),
        ("Micro-LED巨量转移", "micro-led"),
        ("建设数字人民币收款场景", "数字人民币"),
    ],
)
def test_analyzer_keeps_domain_terms_whole(analyzer: Analyzer, text: str, token: str) -> None:
    tokens = analyzer.tokenize(text)

    assert token in tokens
    assert not any(t != token and t in token and len(t) > 1 for t in tokens)


def test_analyzer_drops_stopwords_punctuation_and_numbers(analyzer: Analyzer) -> None:
    text = "为了实现2025年的目标，我们需要（并且）提供30处点位！"

    tokens = analyzer.tokenize(text)

    assert "的" not in tokens
    assert "为了" not in tokens
    assert "2025" not in tokens
    assert "30" not in tokens
    assert not any(t in "，（）！" for t in tokens)
    assert "目标" in tokens
    assert "点位" in tokens


def test_analyzer_normalises_case_and_full_width(analyzer: Analyzer) -> None:
    text = "ＥＶＴＯＬ与EVTOL和ＡＩ"

    tokens = analyzer.tokenize(text)

    assert tokens.count("evtol") == 2
    assert "ai" in tokens


def test_analyzer_is_deterministic_across_instances(
    taxonomy: tuple[ChainNode, ...], cache_dir: Path, analyzer: Analyzer
) -> None:
    text = "面向山区输电线路的无人机巡检机器人与固态电池储能协同示范"
    other = Analyzer(taxonomy, ["数字人民币", "巡检机器人"], cache_dir=cache_dir)

    first, second = analyzer.tokenize(text), other.tokenize(text)

    assert first == second
    assert analyzer.fingerprint == other.fingerprint


def test_analyzer_fingerprint_changes_with_words_and_stopwords(
    taxonomy: tuple[ChainNode, ...], cache_dir: Path, analyzer: Analyzer
) -> None:
    more_words = Analyzer(taxonomy, ["巡检机器人", "数字人民币", "钠离子电池"], cache_dir=cache_dir)
    fewer_stops = Analyzer(
        taxonomy,
        ["巡检机器人", "数字人民币"],
        stopwords=read_stopwords() - {"的"},
        cache_dir=cache_dir,
    )

    fingerprints = {analyzer.fingerprint, more_words.fingerprint, fewer_stops.fingerprint}

    assert len(fingerprints) == 3
    assert "的" in fewer_stops.tokenize("城市的大脑")


def test_get_analyzer_builds_once_per_fingerprint(
    taxonomy: tuple[ChainNode, ...], cache_dir: Path
) -> None:
    first = get_analyzer(taxonomy, ["巡检机器人"], cache_dir=cache_dir)

    again = get_analyzer(taxonomy, ["巡检机器人"], cache_dir=cache_dir)
    other = get_analyzer(taxonomy, ["巡检机器人", "钠离子电池"], cache_dir=cache_dir)

    assert again is first
    assert other is not first
    assert other.fingerprint != first.fingerprint


def test_analyzer_writes_jieba_cache_to_the_given_directory(
    taxonomy: tuple[ChainNode, ...], tmp_path: Path
) -> None:
    cache = tmp_path / "own-cache"

    Analyzer(taxonomy, cache_dir=cache)

    assert (cache / "jieba.cache").is_file()


def test_analyzer_maps_names_and_synonyms_to_chains(analyzer: Analyzer) -> None:
    tokens = analyzer.tokenize("无人机配送结合全固态电池，服务城市大脑")

    chains = analyzer.expand_chains(tokens)

    assert analyzer.chain_slugs("无人机") == ("low-altitude",)
    assert chains == ("low-altitude", "solid-state-battery", "digital-city")  # taxonomy order
    assert analyzer.chain_slugs("钢铁") == ("steel",)
    assert analyzer.chain_slugs("场景") == ()


def test_analyzer_subwords_split_long_tokens_only(analyzer: Analyzer) -> None:
    pieces = analyzer.subwords("固态电池")

    assert pieces == ("固态", "电池")
    assert analyzer.subwords("电池") == ()
