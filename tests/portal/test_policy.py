"""The province's policy editor through its pages: shares that add up, a preview that writes
nothing, saving a new version (the old one untouched) that starts a full run, errors in
place, and the negative list with the capabilities an entry would hit."""

import pytest

from activity.models import AuditEvent
from matching.models import Match, MatchRun
from scenarios.models import NegativeListEntry, PolicyVersion
from scenarios.services.negative_list import negative_entry_create
from tests.portal.conftest import form_values, signed_in

pytestmark = pytest.mark.django_db
URL = "/workspace/committee/policy/"


def editor_data(client, **changes):
    shown = form_values(client.get(URL).content.decode(), URL + "#preview")
    data: dict[str, str] = {k: v[0] for k, v in shown.items()}
    data.update({k: str(v) for k, v in changes.items()})
    return data


def test_the_page_shows_each_weight_with_its_share(matched, province_reviewer):
    html = signed_in(province_reviewer).get(URL).content.decode()

    assert "当前政策：第 1 版" in html
    assert "文本相关度" in html
    assert 'data-share-of="id_w_text">88%' in html
    assert 'data-share-of="id_c_tech_advancement">25%' in html
    assert "保存为新版本" in html


def test_a_preview_shows_both_orders_and_writes_nothing(matched, province_reviewer):
    client = signed_in(province_reviewer)
    before = (PolicyVersion.objects.count(), MatchRun.objects.count(), Match.objects.count())
    data = editor_data(client, w_text=0, w_region=1, w_chain=0, w_keywords=0, w_trl=0)
    data |= {"w_track_record": "0", "w_capacity": "0", "action": "preview"}

    r = client.post(URL, data)

    html = r.content.decode()
    assert "预览：今天的排序与草稿权重下的排序" in html
    assert matched["needs"][0].ref in html
    assert "排序有变化" in html
    assert 'data-share-of="id_w_region">100%' in html  # the draft's shares, before saving
    after = (PolicyVersion.objects.count(), MatchRun.objects.count(), Match.objects.count())
    assert after == before


@pytest.mark.django_db(transaction=True)  # the run starts when the new version commits
def test_saving_needs_a_note_then_creates_a_version_and_starts_a_full_run(
    reference, matched, province_reviewer
):
    client = signed_in(province_reviewer)
    data = editor_data(client, w_text="0.7", w_chain="0.13", action="save")

    refused = client.post(URL, data)
    saved = client.post(URL, {**data, "note": "加强产业链契合"})

    assert "保存新版本时请写明修改说明" in refused.content.decode()
    assert PolicyVersion.objects.count() == 2
    new = PolicyVersion.objects.get(version=2)
    assert new.matching_weights["chain"] == pytest.approx(0.13)
    assert PolicyVersion.objects.get(version=1).matching_weights["chain"] == pytest.approx(0.01)
    run = MatchRun.objects.filter(scope="full", policy=new).get()
    assert saved["Location"] == f"/workspace/runs/{run.pk}/"


@pytest.mark.parametrize("action", ["save", "preview"])
def test_region_weights_rising_with_distance_are_refused_by_the_services_check(
    matched, province_reviewer, action
):
    # given: nearer firms weighted below farther ones
    client = signed_in(province_reviewer)
    data = editor_data(client, r_same_county="0.1", r_outside="1", action=action, note="试试")

    # when
    r = client.post(URL, data)

    # then: the service's message (the API's too) in the editor's words, each box below its
    # farther neighbour marked, and nothing saved
    html = r.content.decode()
    assert "地域权重应由近及远递减或持平：同一区县（0.1）低于 同一设区市" in html
    assert "same_county" not in html.split("<form", 1)[1].split("name=")[0]
    assert 'id="id_r_same_county_error"' in html
    assert 'id="id_r_same_province_error"' in html  # below 省外's 1
    assert 'id="id_r_same_city_error"' not in html
    assert "不能低于“同一设区市”的权重" in html
    assert PolicyVersion.objects.count() == 1


def test_bad_weights_are_refused_in_place_with_what_was_typed(matched, province_reviewer):
    client = signed_in(province_reviewer)
    data = editor_data(client, r_same_county="2", w_text="abc", action="save", note="试试")

    r = client.post(URL, data)

    html = r.content.decode()
    assert 'id="id_r_same_county_error"' in html
    assert 'id="id_w_text_error"' in html
    assert 'value="abc"' in html
    assert PolicyVersion.objects.count() == 1


def test_a_city_member_reads_the_policy_but_cannot_change_it(matched, city_reviewer):
    client = signed_in(city_reviewer)

    page = client.get(URL).content.decode()
    r = client.post(URL, {"action": "save", "note": "x"}, follow=True)

    assert "这里只能查看" in page
    assert "<fieldset disabled>" in page
    assert "只有省级工作委员会可以修改政策" in r.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_a_negative_entry_shows_what_it_would_hit_before_it_is_added(matched, province_reviewer):
    client = signed_in(province_reviewer)
    cap = matched["caps"][0]
    word = cap.keywords[0]
    entry = {"kind": "keyword", "keyword": word, "reason": "", "chain": ""}

    preview = client.post("/workspace/committee/negative-list/", entry | {"action": "preview"})
    no_reason = client.post("/workspace/committee/negative-list/", entry | {"action": "add"})
    added = client.post(
        "/workspace/committee/negative-list/", entry | {"action": "add", "reason": "安全审查"}
    )

    assert "将命中" in preview.content.decode()
    assert cap.title in preview.content.decode()
    assert "请填写理由" in no_reason.content.decode()
    assert added.status_code == 302
    assert NegativeListEntry.objects.filter(keyword=word, active=True).count() == 1


def test_a_one_letter_keyword_is_refused_at_the_preview_and_keeps_what_was_typed(
    matched, province_reviewer
):
    client = signed_in(province_reviewer)
    entry = {"kind": "keyword", "keyword": "a", "reason": "测试", "chain": "future-energy"}

    preview = client.post("/workspace/committee/negative-list/", entry | {"action": "preview"})
    add = client.post("/workspace/committee/negative-list/", entry | {"action": "add"})

    assert "关键词太短" in preview.content.decode()
    assert 'value="a"' in add.content.decode()
    assert not NegativeListEntry.objects.filter(keyword="a").exists()


def test_a_box_filled_for_the_other_kind_is_refused_not_dropped(matched, province_reviewer):
    """The page shows both boxes: a chain entry with a keyword typed too would silently
    drop the keyword (and ban the whole chain); it is refused, with what was typed kept."""
    client = signed_in(province_reviewer)
    entry = {"kind": "chain", "keyword": "光伏组件回收", "reason": "测试", "action": "add"}
    entry["chain"] = "future-energy"

    refused = client.post("/workspace/committee/negative-list/", entry).content.decode()

    assert "类型为产业链/赛道时不填关键词" in refused
    assert 'value="光伏组件回收"' in refused
    assert not NegativeListEntry.objects.exists()


def test_a_refused_save_shows_the_shares_of_what_was_typed(matched, province_reviewer):
    client = signed_in(province_reviewer)
    data = editor_data(client, w_text="0.5", action="save", note="")

    html = client.post(URL, data).content.decode()

    assert "保存新版本时请写明修改说明" in html
    # 0.5 / (0.5 + 0.01 + 0.05 + 0.02 + 0.01 + 0.02 + 0.01) = 81 %
    assert 'data-share-of="id_w_text">81%' in html


def test_the_same_entry_cannot_be_listed_twice(matched, province_reviewer):
    client = signed_in(province_reviewer)
    entry = {"kind": "keyword", "keyword": "虚拟货币", "reason": "国家禁止", "action": "add"}

    first = client.post("/workspace/committee/negative-list/", entry)
    again = client.post("/workspace/committee/negative-list/", entry | {"keyword": "虚拟货币 "})

    assert first.status_code == 302
    assert "已在负面清单中" in again.content.decode()
    assert NegativeListEntry.objects.filter(keyword="虚拟货币").count() == 1


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("1e308", "请填写 0 到 1000 之间的数"),  # digits and a point: no exponent
        ("1001", "不能大于 1000。"),
        ("-1", "不能小于 0。"),
        ("0.123456", "最多 4 位小数"),
    ],
)
def test_a_refused_weight_gets_one_plain_message(matched, province_reviewer, typed, said):
    client = signed_in(province_reviewer)

    html = client.post(URL, editor_data(client, w_text=typed, action="preview")).content.decode()

    error = html[html.index('id="id_w_text_error"') :]
    error = error[: error.index("</div>")]
    assert said in error
    assert "；" not in error  # one message, not Django's two joined
    assert "1000.0" not in error


def test_two_editors_on_one_version_keep_each_others_changes(matched, province_reviewer):
    """Tab A saves a region weight; tab B, still showing version 1, saves only the number of
    recommendations: version 3 holds both (B's page sent every field, and the old region
    weight used to be written back)."""
    client = signed_in(province_reviewer)
    tab_a = editor_data(client, w_region="0.2", action="save", note="加强就近")
    tab_b = editor_data(client, recommendations_per_need="6", action="save", note="多推荐")

    assert client.post(URL, tab_a).status_code == 302
    second = client.post(URL, tab_b, follow=True)

    latest = PolicyVersion.objects.latest("version")
    assert latest.version == 3
    assert latest.matching_weights["region"] == 0.2  # A's change kept
    assert latest.recommendations_per_need == 6  # B's change saved
    assert "您编辑期间第 2 版已保存" in second.content.decode()


def test_a_weight_both_editors_changed_is_shown_before_either_wins(matched, province_reviewer):
    client = signed_in(province_reviewer)
    tab_a = editor_data(client, w_region="0.2", action="save", note="加强就近")
    tab_b = editor_data(client, w_region="0.05", action="save", note="弱化就近")
    client.post(URL, tab_a)

    refused = client.post(URL, tab_b).content.decode()

    assert PolicyVersion.objects.count() == 2
    assert "并且也修改了：地域邻近" in refused
    assert 'name="based_on" value="2"' in refused  # saving again is based on version 2
    assert 'value="0.05"' in refused  # what B typed is kept
    again = client.post(URL, tab_b | {"based_on": "2"})
    assert again.status_code == 302
    assert PolicyVersion.objects.latest("version").matching_weights["region"] == 0.05


def test_a_note_with_a_direction_character_is_refused_in_place(matched, province_reviewer):
    # Given a change whose note carries U+202E (it would read backwards in the history)
    client = signed_in(province_reviewer)
    data = editor_data(client, w_text="0.7", w_chain="0.13", action="save", note="\u202e调整权重")

    # When it is saved
    r = client.post(URL, data)

    # Then the note's box says why, what was typed stays, and no version is made
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="id_note_error"' in html
    assert "文字方向控制字符" in html
    assert 'value="0.13"' in html
    assert PolicyVersion.objects.count() == 1


def test_switching_an_entry_off_needs_a_reason_and_a_second_tab_hears_it_is_off(
    province_reviewer,
):
    # Given an active entry, shown in two tabs
    entry = negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币", reason="金融风险"
    )
    client = signed_in(province_reviewer)
    url = f"/workspace/committee/negative-list/{entry.pk}/deactivate/"
    page = client.get(URL).content.decode()
    row = page.split(f'id="negative-{entry.pk}"')[1].split("</tr>")[0]
    assert 'name="reason"' in row
    assert "required" in row

    # When it is switched off without a reason, with a hidden character, then with a
    # reason, then again from the stale tab
    refused = client.post(url, {"reason": " "}, follow=True)
    entry.refresh_from_db()
    assert entry.active
    hidden = client.post(url, {"reason": "\u202e政策调整"})
    assert hidden["Location"].endswith(f"#negative-{entry.pk}")  # back to the row itself
    row = client.get(URL).content.decode().split(f'id="negative-{entry.pk}"')[1].split("</tr>")[0]
    assert 'aria-invalid="true"' in row  # why, beside the box, with what was typed
    assert "文字方向控制字符" in row
    assert 'value="\u202e政策调整"' in row
    shown_again = client.get(URL).content.decode()
    assert 'aria-invalid="true"' not in shown_again.split(f'id="negative-{entry.pk}"')[1]
    entry.refresh_from_db()
    assert entry.active
    done = client.post(url, {"reason": "政策调整，不再限制"})
    again = client.post(url, {"reason": "政策调整"}, follow=True)

    # Then the first is refused on the list, the second audited with its reason, and the
    # third says the entry is already off (not a missing page)
    assert "需要填写理由" in refused.content.decode()
    assert done.status_code == 302
    entry.refresh_from_db()
    assert not entry.active
    event = AuditEvent.objects.get(action="negative_list.deactivate")
    assert event.reason == "政策调整，不再限制"
    assert again.status_code == 200
    assert "已停用（可能已在别处停用）" in again.content.decode()
    assert AuditEvent.objects.filter(action="negative_list.deactivate").count() == 1


def test_the_negative_list_stacks_its_cells_on_a_phone(province_reviewer):
    # Given an entry; When the list is drawn
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="虚拟货币", reason="金融风险"
    )
    html = signed_in(province_reviewer).get(URL).content.decode()

    # Then the table is one that stacks on a narrow screen, each cell naming its column
    # (the stylesheet turns rows into cards below 576 px, the button in view)
    assert "table-stack" in html
    assert 'data-label="理由"' in html


def test_a_note_longer_than_the_stored_one_is_refused_in_place(matched, province_reviewer):
    """The form took 500 characters for a 255-character column: PostgreSQL answered 500."""
    client = signed_in(province_reviewer)
    data = editor_data(client, w_text="0.7", action="save", note="说" * 256)

    r = client.post(URL, data)

    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="id_note_error"' in html
    assert "255" in html
    assert PolicyVersion.objects.count() == 1
