import pytest

from activity.models import AuditEvent
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from scenarios import selectors
from scenarios.models import Capability
from scenarios.services.capabilities import (
    capability_reinstate,
    capability_return,
    capability_submit,
    capability_suspend,
    capability_update,
    capability_withdraw,
)
from scenarios.services.firms import (
    organization_certify,
    organization_reinstate,
    organization_suspend,
    organization_verify,
)
from scenarios.services.negative_list import negative_entry_create, negative_entry_deactivate
from tests import factories
from tests.scenarios.helpers import make_capability

pytestmark = pytest.mark.django_db


def test_capability_submit_verified_firm_publishes(firm, firm_user):
    cap = make_capability(firm)

    cap = capability_submit(actor=firm_user, capability=cap)

    assert cap.status == "published"
    assert cap.published_at is not None
    actions = list(
        AuditEvent.objects.filter(
            target_id=str(cap.pk), target_type="scenarios.capability"
        ).values_list("action", flat=True)
    )
    assert actions == ["capability.create", "capability.submit", "capability.publish"]


def test_capability_of_unverified_firm_waits_until_verification(platform_admin):
    firm = factories.FirmFactory.create(verified_at=None)
    editor = factories.member(firm, "firm_editor")
    cap = make_capability(firm)

    cap = capability_submit(actor=editor, capability=cap)
    assert cap.status == "submitted"
    organization_verify(actor=platform_admin, organization=firm)

    cap.refresh_from_db()
    assert cap.status == "published"


def test_capability_hitting_negative_keyword_is_returned(firm, firm_user, province_reviewer):
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币挖矿", reason="国家明令淘汰"
    )
    cap = make_capability(firm, description="提供虚拟货币挖矿矿机托管与算力租赁服务。")

    cap = capability_submit(actor=firm_user, capability=cap)

    assert cap.status == "returned"
    event = AuditEvent.objects.get(action="capability.return", target_id=str(cap.pk))
    assert "虚拟货币挖矿" in event.reason


@pytest.mark.parametrize(
    "description",
    [
        "提供虚拟货币 挖矿算力托管服务。",  # a space
        "提供虛擬貨幣挖礦算力託管服務。",  # traditional characters
        "提供虚拟货币挖\u200b矿算力托管服务。",  # a zero-width space inside
        "提供虚拟货币“挖矿”算力托管服务。",  # quotation marks
        "提供ＶＲ虚拟货币-挖矿服务。",  # full-width letters, a hyphen
    ],
)
def test_a_negative_keyword_is_found_however_the_text_splits_or_spells_it(
    firm, firm_user, province_reviewer, description
):
    # given: a banned keyword, and a description that writes it so that a plain substring
    # test missed it (each of these was published and found by the public search)
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币挖矿", reason="国家明令淘汰"
    )
    cap = make_capability(firm, description=description)

    # when
    cap = capability_submit(actor=firm_user, capability=cap)

    # then
    assert cap.status == "returned"


@pytest.mark.parametrize(
    ("keyword", "text", "hit"),
    [
        ("crypto mining", "Crypto-Mining hosting", True),
        ("gambling", "a big ambling horse", False),  # two words stay two words
        ("赌博", "线上赌 博平台", True),
        ("赌博", "赌场博物馆", False),
    ],
)
def test_negative_keywords_match_across_separators_but_not_across_latin_words(
    province_reviewer, keyword, text, hit
):
    from scenarios.services.negative_list import negative_list_hits

    entry = negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword=keyword, reason="测试"
    )

    hits = negative_list_hits(title=text, description="", keywords=[], chain_paths=[])

    assert (hits == [entry]) is hit


@pytest.mark.parametrize(
    "description",
    [
        "提供虚拟\ufe00货币挖矿服务。",  # a variation selector
        "提供虚拟货币\u3164挖矿服务。",  # a Hangul filler, drawn blank
        "提供虚拟货\u034f币挖矿服务。",  # a combining grapheme joiner
        "提供虚拟货币挖\u0301矿服务。",  # a stray combining accent
    ],
)
def test_a_negative_keyword_is_found_past_characters_that_show_nothing(
    firm, firm_user, province_reviewer, description
):
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币挖矿", reason="国家明令淘汰"
    )

    cap = capability_submit(
        actor=firm_user, capability=make_capability(firm, description=description)
    )

    assert cap.status == "returned"


def test_a_negative_keyword_in_a_past_case_is_found(firm, firm_user, province_reviewer):
    negative_entry_create(actor=province_reviewer, kind="keyword", keyword="赌博", reason="违法")
    cap = make_capability(firm, past_cases=["赌博平台开发", "某银行核心系统"])

    cap = capability_submit(actor=firm_user, capability=cap)

    assert cap.status == "returned"


@pytest.mark.parametrize(
    ("keyword", "text", "hit"),
    [
        ("落后产能", "工艺落后，产能不足", False),  # two clauses, not the phrase
        ("堆浸", "土方堆，浸水", False),
        ("gambling", "online gam-bling site", True),
        ("crypto mining", "cryptomining rigs", False),
    ],
)
def test_clause_punctuation_keeps_phrases_apart_and_hyphens_do_not(
    province_reviewer, keyword, text, hit
):
    from scenarios.services.negative_list import negative_list_hits

    entry = negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword=keyword, reason="测试"
    )

    hits = negative_list_hits(title=text, description="", keywords=[], chain_paths=[])

    assert (hits == [entry]) is hit


@pytest.mark.parametrize("keyword", ["\u3164\u3164", "赌\ufe00博"])
def test_a_keyword_with_characters_that_show_nothing_is_refused(province_reviewer, keyword):
    with pytest.raises(InvalidInput) as exc:
        negative_entry_create(actor=province_reviewer, kind="keyword", keyword=keyword, reason="x")

    assert "keyword" in exc.value.fields


def test_a_negative_entry_reason_that_reads_backwards_is_refused(province_reviewer):
    with pytest.raises(InvalidInput) as exc:
        negative_entry_create(
            actor=province_reviewer, kind="keyword", keyword="赌博", reason="违法\u202e经营"
        )

    assert list(exc.value.fields) == ["reason"]


def test_a_keyword_written_another_way_is_already_on_the_list(province_reviewer):
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币挖矿", reason="国家明令淘汰"
    )

    with pytest.raises(InvalidInput) as exc:
        negative_entry_create(
            actor=province_reviewer, kind="keyword", keyword="虛擬貨幣 挖礦", reason="重复"
        )

    assert exc.value.fields == {"keyword": ["已在负面清单中。"]}


def test_capability_hitting_negative_chain_subtree_is_returned(firm, firm_user, province_reviewer):
    negative_entry_create(
        actor=province_reviewer, kind="chain", chain_slug="future-energy", reason="试点暂停"
    )
    cap = make_capability(firm, chains=["solid-state-battery"])

    cap = capability_submit(actor=firm_user, capability=cap)

    assert cap.status == "returned"


def test_capability_passes_after_entry_deactivated(firm, firm_user, province_reviewer):
    entry = negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="液位", reason="测试"
    )
    negative_entry_deactivate(actor=province_reviewer, entry=entry, reason="政策调整")

    cap = capability_submit(actor=firm_user, capability=make_capability(firm))

    assert cap.status == "published"


@pytest.mark.parametrize(
    ("keyword", "chain"),
    [
        ("a", ""),
        ("的", ""),
        ("ai", ""),
        ("\x07挖矿", ""),
        ("挖\u202e矿", ""),
        ("虚拟货币挖矿", "future-energy"),
    ],
)
def test_a_keyword_that_would_hit_everything_or_nothing_readable_is_refused(
    firm, firm_user, province_reviewer, keyword, chain
):
    cap = capability_submit(actor=firm_user, capability=make_capability(firm, title="a 的 ai"))

    with pytest.raises(InvalidInput) as refused:
        negative_entry_create(
            actor=province_reviewer,
            kind="keyword",
            keyword=keyword,
            chain_slug=chain,
            reason="测试",
        )

    assert set(refused.value.fields) == {"chain" if chain else "keyword"}
    cap.refresh_from_db()
    assert cap.status == "published"


def test_a_chain_entry_with_a_keyword_too_is_refused(province_reviewer):
    with pytest.raises(InvalidInput) as refused:
        negative_entry_create(
            actor=province_reviewer,
            kind="chain",
            chain_slug="future-energy",
            keyword="储能",
            reason="测试",
        )

    assert set(refused.value.fields) == {"keyword"}


def test_short_but_real_keywords_are_taken(province_reviewer):
    for keyword in ("矿机", "PFAS"):
        entry = negative_entry_create(
            actor=province_reviewer, kind="keyword", keyword=keyword, reason="测试"
        )
        assert entry.keyword == keyword


def test_negative_entry_by_city_committee_is_refused(city_reviewer):
    with pytest.raises(ActorNotAllowed):
        negative_entry_create(actor=city_reviewer, kind="keyword", keyword="挖矿", reason="y")


def test_capability_update_other_firm_is_refused(firm):
    cap = make_capability(firm)
    outsider = factories.member(factories.FirmFactory.create(), "firm_editor")

    with pytest.raises(ActorNotAllowed):
        capability_update(actor=outsider, capability=cap, expected_version=1, title="冒名")


@pytest.mark.parametrize("case", ["第一行\n第二行", "甲\r乙"])
def test_a_past_case_holding_a_line_break_is_refused(firm, firm_user, case):
    """Cases are one per line in the page's box and the spreadsheets: one holding a break
    came back from an export as two."""
    cap = make_capability(firm)

    with pytest.raises(InvalidInput) as excinfo:
        capability_update(
            actor=firm_user, capability=cap, expected_version=cap.version, past_cases=[case]
        )

    assert "past_cases" in excinfo.value.fields


@pytest.mark.parametrize("keyword", ["x;y", "液位；内涝"])
def test_a_keyword_holding_the_list_separator_is_refused(firm, firm_user, keyword):
    """ "x;y" was stored as one keyword, then came back as two from an export or a save."""
    cap = make_capability(firm)

    with pytest.raises(InvalidInput) as excinfo:
        capability_update(
            actor=firm_user, capability=cap, expected_version=cap.version, keywords=[keyword]
        )

    assert "分号" in excinfo.value.fields["keywords"][0]


def test_capability_update_published_requires_withdraw(firm, firm_user):
    cap = capability_submit(actor=firm_user, capability=make_capability(firm))

    with pytest.raises(InvalidTransition):
        capability_update(actor=firm_user, capability=cap, expected_version=cap.version, trl=9)
    cap = capability_withdraw(actor=firm_user, capability=cap)
    cap = capability_update(actor=firm_user, capability=cap, expected_version=cap.version, trl=9)

    assert cap.trl == 9
    assert cap.status == "withdrawn"


def test_capability_rejects_unknown_certification(firm):
    with pytest.raises(InvalidInput) as excinfo:
        make_capability(firm, certifications=["iso9001"])

    assert "certifications" in excinfo.value.fields
    assert not Capability.objects.filter(firm=firm).exists()


def test_capability_trl_out_of_range_is_a_field_error(firm):
    with pytest.raises(InvalidInput) as excinfo:
        make_capability(firm, trl=10)

    assert "trl" in excinfo.value.fields


def test_capability_suspend_and_reinstate_by_covering_committee(firm, firm_user, city_reviewer):
    cap = capability_submit(actor=firm_user, capability=make_capability(firm))

    cap = capability_suspend(actor=city_reviewer, capability=cap, reason="投诉核查")
    assert cap.status == "suspended"
    cap = capability_reinstate(actor=city_reviewer, capability=cap)

    assert cap.status == "published"


def test_capability_suspend_without_reason_is_refused(firm, firm_user, city_reviewer):
    cap = capability_submit(actor=firm_user, capability=make_capability(firm))

    with pytest.raises(InvalidInput):
        capability_suspend(actor=city_reviewer, capability=cap, reason=" ")

    cap.refresh_from_db()
    assert cap.status == "published"


def test_reinstate_only_lifts_a_suspension_and_rechecks_the_negative_list(
    firm, firm_user, city_reviewer, province_reviewer
):
    unverified = factories.FirmFactory.create(region=firm.region, verified_at=None)
    waiting = capability_submit(actor=None, capability=make_capability(unverified))
    assert waiting.status == "submitted"
    with pytest.raises(InvalidTransition):
        capability_reinstate(actor=province_reviewer, capability=waiting)
    assert Capability.objects.get(pk=waiting.pk).status == "submitted"

    cap = capability_submit(
        actor=firm_user, capability=make_capability(firm, description="矿机托管服务。")
    )
    capability_suspend(actor=city_reviewer, capability=cap, reason="投诉核查")
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="矿机托管", reason="国家明令淘汰"
    )
    with pytest.raises(DomainError) as excinfo:
        capability_reinstate(actor=city_reviewer, capability=cap)
    assert excinfo.value.code == "negative_list"
    assert Capability.objects.get(pk=cap.pk).status == "suspended"


def test_a_firm_cannot_withdraw_a_suspended_capability(firm, firm_user, city_reviewer):
    cap = capability_submit(actor=firm_user, capability=make_capability(firm))
    capability_suspend(actor=city_reviewer, capability=cap, reason="投诉核查")

    with pytest.raises(InvalidTransition):
        capability_withdraw(actor=firm_user, capability=cap)
    assert Capability.objects.get(pk=cap.pk).status == "suspended"


def test_a_capability_a_committee_returned_comes_back_to_the_committee(
    firm, firm_user, city_reviewer
):
    # given: the committee returned a published capability
    cap = capability_submit(actor=firm_user, capability=make_capability(firm))
    capability_return(actor=city_reviewer, capability=cap, reason="资质材料不实")

    # when: the firm resubmits it unchanged
    cap = capability_submit(actor=firm_user, capability=Capability.objects.get(pk=cap.pk))

    # then: it waits for the committee, which publishes it (or returns it again)
    assert cap.status == "submitted"
    assert "退回后重新提交" in cap.held_reason
    assert AuditEvent.objects.filter(action="capability.hold", target_id=str(cap.pk)).exists()
    cap = capability_reinstate(actor=city_reviewer, capability=cap)
    assert (cap.status, cap.held_reason, cap.returned_by_committee) == ("published", "", False)


def test_a_copy_of_a_suspended_capability_waits_for_the_committee(firm, firm_user, city_reviewer):
    original = capability_submit(
        actor=firm_user, capability=make_capability(firm, title="矿山无人驾驶运输系统")
    )
    capability_suspend(actor=city_reviewer, capability=original, reason="安全事故调查")

    # when: the firm clones it with only spacing and width changed in the title
    clone = capability_submit(
        actor=firm_user, capability=make_capability(firm, title="矿山 无人驾驶运输系统 ")
    )
    other = capability_submit(
        actor=firm_user,
        capability=make_capability(firm, title="港口集装箱识别", description="港口OCR识别。"),
    )

    assert clone.status == "submitted"
    assert "矿山无人驾驶运输系统" in clone.held_reason
    assert other.status == "published"  # an unrelated capability publishes as before


def test_suspending_a_firm_takes_its_list_down_and_reinstating_brings_it_back(
    firm, firm_user, city_reviewer, other_city_reviewer
):
    first = capability_submit(actor=firm_user, capability=make_capability(firm))
    second = capability_submit(actor=firm_user, capability=make_capability(firm))
    one_by_one = capability_submit(actor=firm_user, capability=make_capability(firm))
    capability_suspend(actor=city_reviewer, capability=one_by_one, reason="单项核查")
    draft = make_capability(firm, title="新能力", description="与其他能力不同的描述。")

    with pytest.raises(ActorNotAllowed):
        organization_suspend(actor=other_city_reviewer, organization=firm, reason="核查")
    with pytest.raises(InvalidInput):
        organization_suspend(actor=city_reviewer, organization=firm, reason=" ")
    organization_suspend(actor=city_reviewer, organization=firm, reason="涉嫌虚假申报")

    statuses = dict(Capability.objects.filter(firm=firm).values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == "suspended"
    assert not selectors.matching_capability_ids(capability_ids=[first.pk, second.pk])
    with pytest.raises(InvalidTransition):  # no new capability while suspended
        capability_submit(actor=firm_user, capability=draft)
    with pytest.raises(InvalidTransition):  # nor one back one by one
        capability_reinstate(actor=city_reviewer, capability=Capability.objects.get(pk=first.pk))

    organization_reinstate(actor=city_reviewer, organization=firm, reason="核查完毕")

    statuses = dict(Capability.objects.filter(firm=firm).values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == "published"
    assert statuses[one_by_one.pk] == "suspended"  # the committee's own suspension stays
    assert capability_submit(actor=firm_user, capability=draft).status == "published"


def test_matching_trusts_only_the_certifications_and_capacity_a_committee_verified(
    firm, firm_user, city_reviewer, other_city_reviewer
):
    # given: a firm declaring every certification and a capacity of 1000
    cap = capability_submit(
        actor=firm_user,
        capability=make_capability(
            firm, certifications=["first_of_kind", "specialized_sme", "high_tech"], capacity=1000
        ),
    )

    [row] = selectors.matching_capability_rows(capability_ids=[cap.pk])
    quota = selectors.matching_firm_capacity(firm_ids=[firm.pk])

    # then: nothing verified counts, and the capacity at most the unverified limit
    assert row["certifications"] == []
    assert row["capacity"] == quota[firm.pk] == selectors.UNVERIFIED_CAPACITY

    # when: only the firm's committee may verify, and it verifies part of the claims
    with pytest.raises(ActorNotAllowed):
        organization_certify(
            actor=other_city_reviewer, organization=firm, certifications=["high_tech"], capacity=5
        )
    with pytest.raises(ActorNotAllowed):
        organization_certify(
            actor=firm_user, organization=firm, certifications=["high_tech"], capacity=5
        )
    with pytest.raises(InvalidInput):
        organization_certify(
            actor=city_reviewer, organization=firm, certifications=["nobel"], capacity=5
        )
    organization_certify(
        actor=city_reviewer, organization=firm, certifications=["high_tech"], capacity=5
    )

    [row] = selectors.matching_capability_rows(capability_ids=[cap.pk])
    assert row["certifications"] == ["high_tech"]
    assert row["capacity"] == selectors.matching_firm_capacity(firm_ids=[firm.pk])[firm.pk] == 5
    assert AuditEvent.objects.filter(action="organization.certify").count() == 1


def test_a_capability_is_offered_inside_its_firms_registered_region(firm, firm_user):
    from reference.models import Region

    # the firm sits in Donghu (360102): Ganzhou, or the whole of Nanchang, is not its place
    for code in ("360700", "360100"):
        with pytest.raises(InvalidInput) as excinfo:
            make_capability(firm, region=Region.objects.get(code=code))
        assert "region_code" in excinfo.value.fields
    cap = make_capability(firm, region=firm.region)
    with pytest.raises(InvalidInput):
        capability_update(
            actor=firm_user,
            capability=cap,
            expected_version=cap.version,
            region=Region.objects.get(code="360700"),
        )


def test_a_copy_stays_held_while_the_returned_original_waits_or_was_withdrawn(
    firm, firm_user, city_reviewer
):
    original = capability_submit(
        actor=firm_user, capability=make_capability(firm, title="矿山无人驾驶运输系统")
    )
    capability_return(actor=city_reviewer, capability=original, reason="内容不实")
    held = capability_submit(actor=firm_user, capability=Capability.objects.get(pk=original.pk))
    assert held.held_reason
    capability_withdraw(actor=firm_user, capability=held)

    # a copy with an invisible character and full-width letters in its title
    copy = capability_submit(
        actor=firm_user,
        capability=make_capability(
            firm, title="矿山\u200b无人驾驶运输系统", description="另一段描述。"
        ),
    )

    assert copy.status == "submitted"
    assert "矿山无人驾驶运输系统" in copy.held_reason


def test_the_firm_hears_of_a_return_and_of_its_reinstatement(firm, firm_user, city_reviewer):
    from activity.models import Notification

    cap = capability_submit(actor=firm_user, capability=make_capability(firm))
    capability_return(actor=city_reviewer, capability=cap, reason="请补充检测报告")
    organization_suspend(actor=city_reviewer, organization=firm, reason="核查")
    organization_reinstate(actor=city_reviewer, organization=firm, reason="整改完毕")

    verbs = list(Notification.objects.filter(user=firm_user).values_list("verb", "message"))
    assert (
        "capability.returned",
        f"您的能力 {cap.ref} {cap.title} 被退回修改：请补充检测报告",
    ) in verbs
    assert {"organization.suspended", "organization.reinstated"} <= {v for v, _m in verbs}


def test_a_firm_withdraws_a_returned_capability_and_the_committee_still_sees_it_again(
    firm, firm_user, city_reviewer
):
    """An agency can withdraw a returned need; a firm could not withdraw a returned
    capability (409). Withdrawing does not undo the committee's return: resubmitted, it
    waits for the committee as before."""
    cap = capability_submit(actor=firm_user, capability=make_capability(firm))
    cap = capability_return(actor=city_reviewer, capability=cap, reason="资质证明过期")

    cap = capability_withdraw(actor=firm_user, capability=cap)
    assert cap.status == "withdrawn"
    cap = capability_submit(actor=firm_user, capability=cap)

    assert cap.status == "submitted"
    assert cap.held_reason  # waits for the committee


@pytest.mark.parametrize("keyword", ["赌\u200b博", ".*+", "a b"])
def test_a_keyword_with_hidden_or_too_few_letters_is_refused(province_reviewer, keyword):
    with pytest.raises(InvalidInput):
        negative_entry_create(actor=province_reviewer, kind="keyword", keyword=keyword, reason="x")
