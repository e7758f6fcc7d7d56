"""The lists' search index: vectors kept current by the services, the same results as the
substring search, rows not indexed yet still found, relevance ordering, cached counts."""

import pytest
from django.db import connection
from django.db.models import Q

from accounts.services.organizations import organization_update
from core.search import _field_q, apply_search, search_terms
from scenarios.filters import CAPABILITY_SEARCH, NEED_SEARCH
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_submit, capability_update
from scenarios.services.needs import need_update
from scenarios.services.search import index_capabilities, index_needs, index_pending
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search index is PostgreSQL's"
)

# Queries of every kind: one character, Chinese words inside longer ones, Latin in any case,
# digits, punctuation, refs, firm names, two words, JSON syntax, quotes, nothing found.
QUERIES = [
    "检",
    "测",
    "人",
    "检测",
    "机器人",
    "器人",
    "机器人 检测",
    "检测 巡检",
    "巡检机器人",
    "ocr",
    "OCR",
    "Ocr识别",
    "识",
    "a",
    "A",
    "saas",
    "SaaS平台",
    "5g",
    "5G",
    "123",
    "2",
    "50%",
    "%",
    "_",
    "a_b",
    "-",
    "N-",
    "T-00",
    "C-",
    '"1,000 吨"',
    "1,000",
    "吨",
    "[储能]",
    "储能",
    '"储',
    "\\",
    "'",
    "''",
    "鄱阳湖",
    "鄱阳湖 湿地",
    "湿地鄱阳湖",
    "不存在的词",
    "zz",
    "测检",
    "ß",
    "İ",
    "Straße",
    "é",
    "É",
    "ＯＣＲ",  # full-width: its NFKC form is in the text
    "巡\u200b检",  # a zero-width space inside
    "50％，液位",  # full-width as stored, and its NFKC form
    "ｓａａｓ 平台",
]


@pytest.fixture
def corpus(agency, firm):
    """Needs and capabilities whose texts hold the queries above in every field."""
    needs = [
        make_need(
            agency,
            ref="T-001",
            title="巡检机器人",
            description="用于检测管网",
            keywords=["OCR识别", "a_b"],
        ),
        make_need(
            agency,
            ref="T-002",
            title="鄱阳湖湿地监测",
            keywords=["储能", "5G"],
            description="补贴比例 50%，液位 123 号",
        ),
        make_need(
            agency,
            ref="T-003",
            title="SaaS平台",
            description="1,000 吨 Straße é",
            keywords=["[储能]", '"储'],
        ),
        make_need(
            agency, ref="T-004", title="普通需求", description="检测 与 巡检", keywords=["\\", "'"]
        ),
    ]
    firm.name = "鄱阳湖检测科技有限公司"
    firm.save(update_fields=["name"])
    caps = [
        make_capability(firm, ref="C-001", title="智能机器人平台", keywords=["ocr", "SAAS"]),
        make_capability(firm, ref="C-002", title="水质监测", description="ß İ É 检测 2"),
    ]
    return needs, caps


def _old(qs, fields, text):
    """The substring search without the index (what every database did before)."""
    for forms in search_terms(text):
        match = Q()
        for field in fields:
            for form in forms:
                match |= _field_q(qs.model, field, form)
        qs = qs.filter(match)
    return qs


def ids(qs):
    return sorted(qs.values_list("pk", flat=True))


def test_search_index_finds_exactly_what_the_substring_search_finds(corpus):
    needs, caps = ScenarioNeed.objects.all(), Capability.objects.all()

    results = {
        q: (ids(apply_search(needs, NEED_SEARCH, q)), ids(apply_search(caps, CAPABILITY_SEARCH, q)))
        for q in QUERIES
    }

    for q, (found_needs, found_caps) in results.items():
        assert found_needs == ids(_old(needs, NEED_SEARCH, q)), q
        assert found_caps == ids(_old(caps, CAPABILITY_SEARCH, q)), q
    assert results["机器人 检测"][0] == [corpus[0][0].pk]
    assert results["鄱阳湖"][1] == ids(caps)  # by the firm's name
    assert results["ocr"][0] == [corpus[0][0].pk]


@postgres_only
def test_search_index_is_used_on_postgresql(corpus):
    qs = apply_search(Capability.objects.all(), CAPABILITY_SEARCH, "检测")

    sql = str(qs.query)

    assert "@@ (scenarios_search_query" in sql
    assert "= ANY(ARRAY(" not in sql  # the firm's name is in the capability's vector


@postgres_only
def test_the_words_of_a_search_are_one_index_condition(corpus):
    """Every word's bigrams in one tsquery: the index intersects them, instead of the
    planner scanning for one word and testing the others on every row it fetched."""
    qs = apply_search(Capability.objects.all(), CAPABILITY_SEARCH, "机器人 检测 OCR")

    sql = str(qs.query)

    assert sql.count("@@") == 1
    # three words, OCR in two forms (as typed, and full-width as an input method writes it)
    assert sql.count("scenarios_search_query") == 4
    assert sql.count(" && ") == 2  # all of them, not any
    assert ids(qs) == ids(_old(Capability.objects.all(), CAPABILITY_SEARCH, "机器人 检测 OCR"))


def test_a_related_field_the_index_does_not_hold_is_searched_word_by_word(corpus):
    """A firm's credit code is not in the capability's vector: each word's candidates are
    then the index's or the rows of the firms holding it (by key), and the rows are those
    of the substring search."""
    fields = ["title", "description", "firm__credit_code"]
    caps = Capability.objects.all()
    code = str(caps.values_list("firm__credit_code", flat=True)[0])
    for text in (code[:6], f"{code[:6]} 检测", "检测", "没有这个词"):
        qs = apply_search(caps, fields, text)
        assert ids(qs) == ids(_old(caps, fields, text)), text
    if connection.vendor == "postgresql":
        sql = str(apply_search(caps, fields, f"{code[:6]} 检测").query)
        assert sql.count("@@") == 2  # one per word
        assert sql.count("= ANY(ARRAY(") == 2


def test_a_relation_field_is_tested_before_the_rows_own_texts(corpus):
    """The firm's name (a probe of the firms holding the word, found once per query) comes
    first in each word's OR, so a row it admits skips reading its own texts; the rows are
    the same."""
    qs = apply_search(Capability.objects.all(), CAPABILITY_SEARCH, "鄱阳湖 检测")

    where = str(qs.query).split(" WHERE ", 1)[1]

    assert where.index('"firm_id" IN') < where.index('"title"')
    assert ids(qs) == ids(_old(Capability.objects.all(), CAPABILITY_SEARCH, "鄱阳湖 检测"))


@postgres_only
def test_search_vector_is_written_on_create_and_follows_an_edit(
    agency, agency_user, firm, firm_user
):
    need = make_need(agency, title="固态电池试点")
    cap = make_capability(firm, title="固态电池产线")

    def found(model, fields, word):
        return model.objects.filter(pk__in=apply_search(model.objects.all(), fields, word)).filter(
            search_vector__isnull=False
        )

    assert found(ScenarioNeed, NEED_SEARCH, "固态").exists()
    need_update(actor=agency_user, need=need, expected_version=None, title="氢能储运试点")
    capability_update(actor=firm_user, capability=cap, expected_version=None, title="氢能产线")

    assert not found(ScenarioNeed, NEED_SEARCH, "固态").exists()
    assert found(ScenarioNeed, NEED_SEARCH, "氢能").exists()
    assert not found(Capability, CAPABILITY_SEARCH, "固态").exists()
    assert found(Capability, CAPABILITY_SEARCH, "氢能").exists()


@postgres_only
def test_a_published_capability_keeps_its_vector(firm):
    cap = make_capability(firm, title="激光雷达")

    published = capability_submit(actor=None, capability=cap)

    assert published.status == "published"
    assert ids(apply_search(Capability.objects.public(), CAPABILITY_SEARCH, "雷达")) == [cap.pk]
    assert Capability.objects.filter(pk=cap.pk, search_vector__isnull=False).exists()


@postgres_only
def test_rows_written_without_a_vector_are_found_and_then_indexed(corpus):
    needs, caps = corpus
    ScenarioNeed.objects.filter(pk=needs[1].pk).update(search_vector=None, title="无向量的湿地")
    Capability.objects.filter(pk=caps[1].pk).update(search_vector=None)

    before = ids(apply_search(ScenarioNeed.objects.all(), NEED_SEARCH, "无向量"))
    pending = index_pending()
    after = ids(apply_search(ScenarioNeed.objects.all(), NEED_SEARCH, "无向量"))

    assert before == after == [needs[1].pk]
    assert pending == {"needs": 1, "capabilities": 1}
    assert not ScenarioNeed.objects.filter(search_vector__isnull=True).exists()
    assert index_needs(ids=[n.pk for n in needs]) == len(needs)
    assert index_capabilities(ids=[]) == 0


@postgres_only
def test_index_pending_everything_rewrites_stale_vectors(corpus):
    needs, _caps = corpus
    # A vector left stale by a write around the services (raw SQL).
    ScenarioNeed.objects.filter(pk=needs[3].pk).update(title="改名后的标题")

    done = index_pending(everything=True)

    assert done["needs"] == len(needs)
    assert ids(apply_search(ScenarioNeed.objects.all(), NEED_SEARCH, "改名")) == [needs[3].pk]


def test_search_index_command_reports_what_it_indexed(corpus, capsys):
    from django.core.management import call_command

    call_command("search_index", "--all")

    out = capsys.readouterr().out
    assert ("4" in out and "2" in out) if connection.vendor == "postgresql" else "SQLite" in out


def vector_finds(model, fields, word):
    """Rows the index (not a NULL vector) finds for ``word``."""
    return ids(
        model.objects.filter(pk__in=apply_search(model.objects.all(), fields, word)).filter(
            search_vector__isnull=False
        )
    )


@postgres_only
def test_a_firm_renamed_is_found_by_its_new_name_through_the_index(firm, platform_admin):
    cap = capability_submit(actor=None, capability=make_capability(firm, title="激光雷达"))

    organization_update(actor=platform_admin, organization=firm, name="赣江光电科技有限公司")

    assert vector_finds(Capability, CAPABILITY_SEARCH, "赣江光电") == [cap.pk]
    assert vector_finds(Capability, CAPABILITY_SEARCH, "测试科技") == []


def test_a_firm_renamed_is_found_by_its_new_name(firm, platform_admin):
    cap = capability_submit(actor=None, capability=make_capability(firm, title="激光雷达"))

    organization_update(actor=platform_admin, organization=firm, name="赣江光电科技有限公司")

    assert ids(apply_search(Capability.objects.public(), CAPABILITY_SEARCH, "赣江光电")) == [cap.pk]
    assert ids(apply_search(Capability.objects.public(), CAPABILITY_SEARCH, "测试科技")) == []


@postgres_only
def test_a_copy_gets_no_vector_of_its_own_and_is_found_by_its_text(firm):
    cap = make_capability(firm, title="激光雷达")
    copy = Capability.objects.get(pk=cap.pk)
    copy.pk = copy.id = None
    copy.ref = "C-COPY-1"
    copy._state.adding = True

    copy.save()

    assert Capability.objects.get(pk=copy.pk).search_vector is None
    assert ids(apply_search(Capability.objects.all(), CAPABILITY_SEARCH, "C-COPY")) == [copy.pk]
    assert Capability.objects.filter(pk=cap.pk, search_vector__isnull=False).exists()


@postgres_only
def test_a_save_of_other_fields_keeps_the_vector(firm):
    cap = make_capability(firm, title="激光雷达")
    loaded = Capability.objects.get(pk=cap.pk)
    loaded.capacity = 3

    loaded.save(update_fields=["capacity"])

    assert vector_finds(Capability, CAPABILITY_SEARCH, "激光") == [cap.pk]


@postgres_only
def test_a_save_of_new_text_leaves_the_row_found_by_its_text(firm):
    cap = make_capability(firm, title="激光雷达")
    loaded = Capability.objects.get(pk=cap.pk)
    loaded.title = "毫米波雷达"

    loaded.save()

    assert Capability.objects.get(pk=cap.pk).search_vector is None
    assert ids(apply_search(Capability.objects.all(), CAPABILITY_SEARCH, "毫米波")) == [cap.pk]


@postgres_only
def test_a_bulk_import_has_its_rows_indexed_after_commit(corpus):
    from core.models import OutboxMessage
    from scenarios.exchange.bulk import _after_bulk_insert
    from scenarios.tasks import search_index_pending

    _needs, caps = corpus
    Capability.objects.filter(pk=caps[0].pk).update(search_vector=None)  # as COPY leaves it

    _after_bulk_insert("capability", [caps[0].pk])
    queued = OutboxMessage.objects.filter(task_name="scenarios.search_index_pending").count()
    search_index_pending()  # what the worker runs after the commit

    assert queued == 1
    assert vector_finds(Capability, CAPABILITY_SEARCH, "智能机器人") == [caps[0].pk]
