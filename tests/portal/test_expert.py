"""The expert workspace through its pages: a form per criterion of the current policy, my
earlier assessments, and the panel's scores beside mine once I have scored."""

import pytest

from scenarios.models import Assessment
from scenarios.services.assessments import assessment_submit
from scenarios.services.needs import need_submit
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


def test_panel_shows_the_others_mean_range_and_divergences_from_three_others(need, expert):
    for low in (40, 50, 60):
        colleague = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
        assessment_submit(actor=colleague, need=need, scores={**SCORES, "demonstration": low})

    r = signed_in(expert).post(f"/workspace/expert/needs/{need.ref}/", form(), follow=True)

    html = r.content.decode()
    assert "另有 3 位专家评分" in html
    assert "其他专家平均" in html
    # demonstration: mine 80, the others' mean 50 → a divergence of 30 points
    row = html[html.index("示范带动性", html.index("专家组评分对照")) :]
    row = row[: row.index("</tr>")]
    assert "分歧" in row
    assert "50.0" in row
    assert "40.0–60.0" in row
    need.refresh_from_db()
    assert f"专家组平均 {need.value_score:.1f}" in html


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
