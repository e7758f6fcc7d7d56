"""The expert workspace through its pages: a form per criterion of the current policy, my
earlier assessments, and the panel's scores beside mine once I have scored."""

import math
import re

import pytest

from portal.forms.committee import AssessmentForm
from scenarios.models import Assessment
from scenarios.services.assessments import MAX_REVISIONS, assessment_submit
from scenarios.services.needs import need_submit, need_update, need_withdraw
from scenarios.services.policy import policy_current, policy_update
from scenarios.services.reviews import review_decide
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db
SCORES = {
    "tech_advancement": 90,
    "demonstration": 80,
    "industry_pull": 70,
    "replicability": 60,
    "feasibility": 100,
}


@pytest.fixture
def expert(db):
    return factories.member(factories.ExpertInstitutionFactory.create(), "expert")


@pytest.fixture
def colleague(db):
    return factories.member(factories.ExpertInstitutionFactory.create(), "expert")


@pytest.fixture
def need(agency, agency_user):
    return need_submit(
        actor=agency_user, need=make_need(agency, region="360102", title="智慧园区能耗优化")
    )


def form(**overrides):
    data = {f"score_{k}": str(v) for k, v in SCORES.items()} | {"comment": "示范性强"}
    data.update(overrides)
    return data


def test_home_lists_needs_to_score_first(need, expert):
    r = signed_in(expert).get("/workspace/expert/")

    html = r.content.decode()
    assert r.status_code == 200
    assert "智慧园区能耗优化" in html
    assert "待评分" in html


def test_scoring_form_names_each_criterion_with_its_description_and_weight(need, expert):
    r = signed_in(expert).get(f"/workspace/expert/needs/{need.ref}/")

    html = r.content.decode()
    assert "技术先进性" in html
    assert "权重 25%" in html
    assert "能否带动关键核心技术突破" in html  # what the criterion asks
    assert 'aria-describedby="id_score_tech_advancement_helptext"' in html
    assert "专家组评分对照" not in html  # the panel stays hidden until I have scored


def test_an_out_of_range_score_is_refused_in_place_and_nothing_is_saved(need, expert):
    r = signed_in(expert).post(
        f"/workspace/expert/needs/{need.ref}/", form(score_demonstration="120")
    )

    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="id_score_demonstration_error"' in html
    assert 'value="90"' in html  # what was typed is kept
    assert "示范性强" in html
    assert not Assessment.objects.exists()


def test_scoring_saves_and_hides_a_single_colleagues_scores(need, expert, colleague):
    assessment_submit(actor=colleague, need=need, scores={**SCORES, "demonstration": 40})

    r = signed_in(expert).post(f"/workspace/expert/needs/{need.ref}/", form(), follow=True)

    html = r.content.decode()
    mine = Assessment.objects.get(expert=expert)
    assert mine.scores["demonstration"] == 80
    assert mine.comment == "示范性强"
    assert "专家组评分对照" in html
    assert "另有 1 位专家评分" in html
    # with one other expert, their "mean" would be their own score: neither the per-criterion
    # mean, nor the range, nor the panel's mean (mine and theirs) is shown
    panel = html[html.index("专家组评分对照") : html.index("score-title")]
    assert "其他专家平均" not in panel
    assert "40.0" not in panel
    assert "分歧" not in panel.split("</p>", 1)[1]
    assert "专家组平均" not in panel.split("</table>", 1)[1]
    assert "至少 3 位其他专家评分后" in panel
    assert f"您的加权得分 {mine.weighted_score:.2f}。" in panel


def panel_row(html, criterion):
    row = html[html.index(criterion, html.index("专家组评分对照")) :]
    return row[: row.index("</tr>")]


def test_panel_shows_the_others_mean_and_divergences_from_three_others(need, expert):
    for low in (40, 50, 60):
        colleague = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
        assessment_submit(actor=colleague, need=need, scores={**SCORES, "demonstration": low})

    r = signed_in(expert).post(f"/workspace/expert/needs/{need.ref}/", form(), follow=True)

    html = r.content.decode()
    assert "另有 3 位专家评分" in html
    assert "其他专家平均" in html
    # demonstration: mine 80, the others' mean 50 → a divergence of 30 points
    row = panel_row(html, "示范带动性")
    assert "分歧" in row
    assert "50.0" in row
    # with three others, their mean, lowest and highest would be all three scores
    assert "最低–最高" not in html
    assert "40.0" not in row
    assert "60.0" not in row
    assert "至少 4 位其他专家评分后，才显示他们的最低和最高分" in html
    need.refresh_from_db()
    assert f"专家组平均 {need.value_score:.1f}" in html


def test_panel_shows_the_others_range_from_four_others(need, expert):
    for low in (40, 45, 55, 60):
        colleague = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
        assessment_submit(actor=colleague, need=need, scores={**SCORES, "demonstration": low})

    r = signed_in(expert).post(f"/workspace/expert/needs/{need.ref}/", form(), follow=True)

    html = r.content.decode()
    assert "最低–最高" in html
    row = panel_row(html, "示范带动性")
    assert "50.0" in row
    assert "40.0–60.0" in row


def test_a_need_the_expert_may_not_see_is_not_found(agency, agency_user, expert):
    draft = make_need(agency, region="360102")

    r = signed_in(expert).get(f"/workspace/expert/needs/{draft.ref}/")

    assert r.status_code == 404


def test_other_roles_go_to_their_own_workspace(need, agency_user):
    r = signed_in(agency_user).get(f"/workspace/expert/needs/{need.ref}/")

    assert r.status_code == 302
    assert r["Location"] == "/workspace/"


def test_a_comment_with_a_direction_character_is_refused_in_place(need, expert):
    r = signed_in(expert).post(
        f"/workspace/expert/needs/{need.ref}/", form(comment="\u202e评审意见")
    )

    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="id_comment_error"' in html
    assert "文字方向控制字符" in html
    assert 'value="90"' in html
    assert not Assessment.objects.exists()


def page(user, need):
    return signed_in(user).get(f"/workspace/expert/needs/{need.ref}/").content.decode()


def new_expert():
    return factories.member(factories.ExpertInstitutionFactory.create(), "expert")


def top(value=100):
    return dict.fromkeys(SCORES, value)


def test_the_high_value_line_is_hidden_while_it_would_tell_a_colleagues_score(
    need, expert, colleague
):
    # given: one colleague's scores; mine make the pair's mean reach the line
    assessment_submit(actor=colleague, need=need, scores=top(85))

    r = signed_in(expert).post(
        f"/workspace/expert/needs/{need.ref}/",
        form(**{f"score_{k}": "90" for k in SCORES}),
        follow=True,
    )

    # then: the need is high value, but the page does not say so (saved again and again,
    # the line flipping gave the colleague's score away)
    need.refresh_from_db()
    assert need.is_high_value
    html = r.content.decode()
    assert "该需求目前为高价值场景" not in html
    assert "是否为高价值场景" in html  # says why it is not shown


def test_the_high_value_line_shows_from_three_others(need, expert):
    for _ in range(3):
        assessment_submit(actor=new_expert(), need=need, scores=top(90))
    assessment_submit(actor=expert, need=need, scores=top(90))

    assert "该需求目前为高价值场景" in page(expert, need)


def test_a_change_past_the_allowed_ones_is_refused_in_place_with_the_typed_scores(need, expert):
    # given: scores submitted and changed as often as allowed
    assessment_submit(actor=expert, need=need, scores=top(50))
    for n in range(MAX_REVISIONS):
        assessment_submit(actor=expert, need=need, scores=top(60 + n))

    # when: another change from a page loaded before (its inputs still editable)
    r = signed_in(expert).post(
        f"/workspace/expert/needs/{need.ref}/", form(score_demonstration="33")
    )

    # then: the rule in place, what was typed kept, nothing saved
    html = r.content.decode()
    assert r.status_code == 200
    assert f"评分提交后最多可修改 {MAX_REVISIONS} 次" in html
    assert 'value="33"' in html
    assert Assessment.objects.get(expert=expert).scores == top(60 + MAX_REVISIONS - 1)


def test_the_page_counts_the_changes_left_then_keeps_the_scores_read_only(need, expert):
    client = signed_in(expert)
    url = f"/workspace/expert/needs/{need.ref}/"
    client.post(url, form())
    assert f"您还可以修改评分 {MAX_REVISIONS} 次" in client.get(url).content.decode()

    for n in range(MAX_REVISIONS):
        client.post(url, form(score_demonstration=str(50 + n)))

    html = client.get(url).content.decode()
    assert "评分的修改次数已用完" in html
    field = re.search(r'<input[^>]*id="id_score_demonstration"[^>]*>', html)
    assert field is not None
    assert "readonly" in field.group(0)
    # the comment can still change: the same scores come back with the new one
    r = client.post(url, form(score_demonstration=str(50 + MAX_REVISIONS - 1), comment="补充"))
    assert r.status_code == 302
    assert Assessment.objects.get(expert=expert).comment == "补充"


def test_after_new_criteria_the_page_says_which_version_counts_and_asks_for_new_scores(
    need, expert, colleague, province_reviewer
):
    # given: scores under version 1 (and a colleague's); version 2 drops a criterion and
    # adds one
    assessment_submit(actor=colleague, need=need, scores=SCORES)
    mine = assessment_submit(actor=expert, need=need, scores=SCORES)
    criteria = [c for c in policy_current().selection_criteria if c["key"] != "feasibility"]
    policy_update(
        actor=province_reviewer,
        selection_criteria=[*criteria, {"key": "green", "name": "绿色低碳", "weight": 0.15}],
    )

    html = page(expert, need)

    # then: which version my scores and weighted score are under, what changed, what counts
    assert "您按第 1 版政策的遴选标准评分" in html
    assert "当前为第 2 版政策" in html
    assert "新增：绿色低碳" in html
    assert "删去：实施可行性" in html
    assert f"加权得分 {mine.weighted_score:.2f} 仍按第 1 版的权重计入专家组平均分" in html
    panel = html[html.index("panel-title") : html.index("versions-title")]
    assert "实施可行性" in panel  # the criteria my weighted score is made of
    assert "绿色低碳" not in panel
    assert "新标准，待评分" in html
    # and: home asks for the new score instead of marking the need done
    home = signed_in(expert).get("/workspace/expert/").content.decode()
    need_card = home[home.index(need.title) :]
    assert "需按新标准重新评分" in need_card[: need_card.index("</h3>")]


def test_a_new_version_with_the_same_criteria_asks_for_nothing(need, expert, province_reviewer):
    assessment_submit(actor=expert, need=need, scores=SCORES)
    policy_update(actor=province_reviewer, recommendations_per_need=7)

    html = page(expert, need)

    assert "无需更新" in html
    home = signed_in(expert).get("/workspace/expert/").content.decode()
    assert "需按新标准重新评分" not in home


def test_an_expert_reads_a_need_they_scored_after_it_left_review(need, expert, county_reviewer):
    # given: a need I scored, then returned to its agency
    assessment_submit(actor=expert, need=need, scores=SCORES)
    review_decide(actor=county_reviewer, need=need, decision="returned", comment="请补充预算")

    # when: I follow my link to it
    r = signed_in(expert).get(f"/workspace/expert/needs/{need.ref}/")

    # then: it opens, read only, with its status
    html = r.content.decode()
    assert r.status_code == 200
    assert "已退回" in html
    assert "您的评分只能查看" in html
    assert '<form method="post" novalidate>' not in html
    home = signed_in(expert).get("/workspace/expert/").content.decode()
    mine = home[home.index("mine-title") :]
    assert f"/workspace/expert/needs/{need.ref}/" in mine
    assert "已退回" in mine


def leave_review(need, how, *, agency_user, county_reviewer):
    if how == "withdrawn":
        return need_withdraw(actor=agency_user, need=need)
    return review_decide(actor=county_reviewer, need=need, decision=how, comment="请补充预算")


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("returned", "该需求已退回需求单位修改"),
        ("rejected", "该需求未通过审核"),
        ("withdrawn", "该需求已由需求单位撤回"),
    ],
)
def test_a_need_that_left_review_shows_the_expert_only_the_ref_and_their_own_scores(
    need, expert, agency_user, county_reviewer, how, said
):
    # given: a need I scored and commented, which then left review
    assessment_submit(actor=expert, need=need, scores=SCORES, comment="示范性强")
    need = leave_review(need, how, agency_user=agency_user, county_reviewer=county_reviewer)

    # when: I open it
    r = signed_in(expert).get(f"/workspace/expert/needs/{need.ref}/")

    # then: its ref, why it is not shown, my scores and comment; none of its content
    html = r.content.decode()
    assert r.status_code == 200
    assert need.ref in html
    assert said in html
    assert "这里不再显示其内容" in html
    assert "智慧园区能耗优化" not in html
    assert need.description not in html
    assert need.agency.name not in html
    assert "示范性强" in html
    assert "您的评分只能查看" in html
    mine = Assessment.objects.get(expert=expert)
    assert f"您的加权得分 {mine.weighted_score:.2f}。" in html
    assert "技术先进性" in html
    assert '<form method="post" novalidate>' not in html


def test_a_returned_need_the_agency_edited_does_not_show_the_expert_its_new_text(
    need, expert, agency_user, county_reviewer
):
    # given: a need I scored, returned, whose title and description its agency then edited
    assessment_submit(actor=expert, need=need, scores=SCORES)
    need = review_decide(actor=county_reviewer, need=need, decision="returned", comment="请改")
    need_update(
        actor=agency_user,
        need=need,
        expected_version=need.version,
        title="尚未公开的新标题",
        description="尚未公开的新描述：内部试点安排",
    )

    # when: I open it and my workspace
    page_html = signed_in(expert).get(f"/workspace/expert/needs/{need.ref}/").content.decode()
    home = signed_in(expert).get("/workspace/expert/").content.decode()

    # then: neither shows the agency's draft; my list names the need by its ref and state
    for html in (page_html, home):
        assert "尚未公开的新标题" not in html
        assert "尚未公开的新描述" not in html
    mine = home[home.index("mine-title") :]
    assert f'/workspace/expert/needs/{need.ref}/">{need.ref}</a>' in mine
    assert "已退回" in mine


def test_scores_sent_from_a_stale_tab_after_the_need_left_review_change_nothing(
    need, expert, county_reviewer
):
    # given: a need I scored, returned while my tab still shows its form
    assessment_submit(actor=expert, need=need, scores=SCORES)
    review_decide(actor=county_reviewer, need=need, decision="returned", comment="请改")

    # when: the tab sends new scores
    r = signed_in(expert).post(f"/workspace/expert/needs/{need.ref}/", form(score_feasibility="0"))

    # then: the page says why the need is not shown; my scores are as they were
    assert r.status_code == 200
    assert "该需求已退回需求单位修改" in r.content.decode()
    assert Assessment.objects.get(expert=expert).scores["feasibility"] == 100


def test_a_returned_need_back_in_review_shows_the_expert_its_content_again(
    need, expert, agency_user, county_reviewer
):
    # given: a need I scored, returned, edited and submitted again
    assessment_submit(actor=expert, need=need, scores=SCORES)
    need = review_decide(actor=county_reviewer, need=need, decision="returned", comment="请改")
    need = need_update(
        actor=agency_user, need=need, expected_version=need.version, title="修改后的标题"
    )
    need_submit(actor=agency_user, need=need)

    # when: I open it and my workspace
    page_html = signed_in(expert).get(f"/workspace/expert/needs/{need.ref}/").content.decode()
    home = signed_in(expert).get("/workspace/expert/").content.decode()

    # then: in review again, it reads as any need in review
    assert "修改后的标题" in page_html
    assert "需求内容" in page_html
    assert "修改后的标题" in home[home.index("mine-title") :]


def test_an_expert_still_cannot_open_a_returned_need_they_did_not_score(
    need, expert, county_reviewer
):
    review_decide(actor=county_reviewer, need=need, decision="returned", comment="请补充预算")

    r = signed_in(expert).get(f"/workspace/expert/needs/{need.ref}/")

    assert r.status_code == 404


def test_home_lists_needs_waiting_for_scores_first_with_the_count_of_experts(
    agency, agency_user, county_reviewer, city_reviewer, expert
):
    # given: a published need already high value with two scores, an in-review need with
    # one score and one with none (created in that order)
    published = need_submit(actor=agency_user, need=make_need(agency, title="甲已发布高价值"))
    for reviewer in (county_reviewer, city_reviewer):
        published = review_decide(actor=reviewer, need=published, decision="approved")
    for _ in range(2):
        assessment_submit(actor=new_expert(), need=published, scores=top(95))
    one = need_submit(actor=agency_user, need=make_need(agency, title="乙审核中一人评分"))
    assessment_submit(actor=new_expert(), need=one, scores=top(70))
    none = need_submit(actor=agency_user, need=make_need(agency, title="丙审核中无人评分"))

    html = signed_in(expert).get("/workspace/expert/").content.decode()

    # then: in review first, the fewest scores first; each says how many experts scored
    order = [html.index(n.title) for n in (none, one, published)]
    assert order == sorted(order)
    assert "2 位专家已评分" in html
    assert "0 位专家已评分" in html


def test_before_scoring_the_page_says_what_the_score_does_and_who_sees_it(need, expert):
    html = page(expert, need)

    about = html[html.index('id="score-about"') : html.index('<form method="post" novalidate>')]
    assert "平均分达到 80 分的需求标为高价值场景" in about
    assert "排在前面" in about
    assert "工作委员会可看到您的姓名、各项评分和评审意见" in about
    assert "至少 4 位专家评分后还可看到平均分" in about
    assert f"最多可再修改 {MAX_REVISIONS} 次" in about


def test_a_score_with_more_decimals_is_told_the_one_decimal_rule(need, expert):
    r = signed_in(expert).post(
        f"/workspace/expert/needs/{need.ref}/", form(score_demonstration="85.123456")
    )

    html = r.content.decode()
    error = html[html.index('id="id_score_demonstration_error"') :]
    assert "最多保留 1 位小数" in error[: error.index("</ul>")]
    assert "5 个数字" not in html
    assert not Assessment.objects.exists()


def test_a_score_typed_as_minus_zero_is_zero():
    typed = AssessmentForm(
        form(**{f"score_{k}": "-0" for k in SCORES}),
        criteria=[{"key": k, "name": k, "weight": 1} for k in SCORES],
    )

    assert typed.is_valid(), typed.errors
    assert all(math.copysign(1, v) == 1 for v in typed.scores().values())
