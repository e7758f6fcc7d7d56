"""The inbox: unread count in the header, marking read, and the links e-mails carry."""

import pytest
from django.conf import settings
from django.test import Client

from activity.models import Notification
from activity.services import notify_users
from matching.models import Match
from scenarios.services.firms import organization_verify
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


def note(user, target, verb="need.published", title="智慧政务大厅"):
    notify_users(user_ids=[user.pk], verb=verb, params={"ref": "N-1", "need": title}, target=target)
    return Notification.objects.filter(user=user).latest("id")


def test_header_shows_the_unread_count_and_the_inbox_lists_them(agency, agency_user):
    need = make_need(agency)
    note(agency_user, need)
    note(agency_user, need, title="第二条通知")
    client = signed_in(agency_user)

    home = client.get("/").content.decode()
    inbox = client.get("/notifications/").content.decode()

    assert 'aria-label="2 条未读">2</span>' in home
    assert "第二条通知" in inbox
    assert "需求已发布" in inbox  # the verb as a label, not "need.published"
    assert "need.published" not in inbox


def test_mark_one_read_with_htmx_returns_the_row(agency, agency_user):
    first = note(agency_user, make_need(agency))
    client = signed_in(agency_user)

    response = client.post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")

    first.refresh_from_db()
    assert first.read_at is not None
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="note-{first.pk}"' in body


def test_mark_all_read(agency, agency_user):
    need = make_need(agency)
    for _ in range(3):
        note(agency_user, need)

    signed_in(agency_user).post("/notifications/read-all/")

    assert not Notification.objects.filter(user=agency_user, read_at__isnull=True).exists()


def test_nobody_marks_someone_elses_notification(agency, agency_user, firm_user):
    theirs = note(agency_user, make_need(agency))

    response = signed_in(firm_user).post(f"/notifications/{theirs.pk}/read/")

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.read_at is None


def test_go_link_opens_the_agencys_need_page_and_marks_it_read(agency, agency_user):
    need = make_need(agency)
    unread = note(agency_user, need)

    response = signed_in(agency_user).get(f"/notifications/go/scenarios.scenarioneed/{need.pk}/")

    unread.refresh_from_db()
    assert response["Location"] == f"/workspace/agency/needs/{need.ref}/"
    assert unread.read_at is not None


def test_go_link_of_a_recommendation_opens_the_firms_page(matched):
    match = Match.objects.current().filter(recommended=True)[0]
    user = factories.member(match.capability.firm, "firm_editor")

    response = signed_in(user).get(f"/notifications/go/matching.match/{match.pk}/")

    assert response["Location"] == (
        f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"
    )


def test_go_link_of_a_verification_opens_the_firm_workspace(platform_admin):
    firm = factories.FirmFactory.create(verified_at=None)
    user = factories.member(firm, "firm_editor")
    organization_verify(actor=platform_admin, organization=firm)

    response = signed_in(user).get(f"/notifications/go/accounts.organization/{firm.pk}/")

    assert response["Location"] == "/workspace/firm/"


@pytest.mark.parametrize(
    "path",
    [
        "/notifications/go/scenarios.scenarioneed/999999/",
        "/notifications/go/none/0/",
        "/notifications/go/scenarios.scenarioneed/abc/",
        "/notifications/go/auth.user/1/",
    ],
)
def test_go_link_to_something_unknown_or_foreign_falls_back_to_the_workspace(path, firm_user):
    response = signed_in(firm_user).get(path)

    assert response.status_code == 302
    assert response["Location"] == "/workspace/"


def test_go_link_of_another_agencys_draft_does_not_reveal_it(agency):
    need = make_need(agency)
    stranger = factories.member(factories.AgencyFactory.create(), "agency_editor")

    response = signed_in(stranger).get(f"/notifications/go/scenarios.scenarioneed/{need.pk}/")

    assert response["Location"] == "/workspace/"


def test_inbox_needs_sign_in():
    assert Client().get("/notifications/")["Location"].startswith("/login/")


def test_the_inbox_in_english_reads_english_with_the_title_as_typed(agency, agency_user):
    need = make_need(agency)
    note(agency_user, need, title="城市内涝监测")
    client = signed_in(agency_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    inbox = client.get("/notifications/").content.decode()

    assert "Your scenario need N-1 城市内涝监测 was published on the opportunity list" in inbox
    assert "已发布到机会清单" not in inbox


def test_go_link_of_a_recommendation_survives_a_rematch_and_the_pruning(matched):
    from matching.services import runs
    from matching.services.recommendations import notify_recommendations
    from tests.matching.world import run_inline

    # Given a firm told about a recommendation (the notification names the row)
    match = Match.objects.current().filter(recommended=True)[0]
    user = factories.member(match.capability.firm, "firm_editor")
    notify_recommendations(match_ids=[match.pk])
    go = f"/notifications/go/matching.match/{match.pk}/"
    pair_url = f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"

    # When a later run supersedes the row, then when the history is pruned
    run_inline(runs.match_run_request(scope="full"))
    superseded = signed_in(user).get(go)
    Match.objects.filter(pk=match.pk).delete()
    pruned = signed_in(user).get(go)

    # Then both times the link opens the pair's current recommendation, saying why
    assert superseded["Location"] == pair_url
    assert pruned["Location"] == pair_url
    page = signed_in(user).get(go, follow=True)
    assert page.status_code == 200
    assert "该推荐已被之后的匹配批次更新" in page.content.decode()


def _no_longer_recommended(matched, province_reviewer):
    """A firm told of a recommendation that a later run (one per need, k = 1) no longer
    makes: its notification, the firm's user and the row it names."""
    from matching.services import runs
    from matching.services.recommendations import notify_recommendations
    from scenarios.services.policy import policy_update
    from tests.matching.world import run_inline

    told = list(Match.objects.current().filter(recommended=True))
    notify_recommendations(match_ids=[m.pk for m in told])
    policy_update(actor=province_reviewer, recommendations_per_need=1)
    run_inline(runs.match_run_request(scope="full"))
    now = set(
        Match.objects.current().filter(recommended=True).values_list("need_id", "capability_id")
    )
    dropped = next(m for m in told if (m.need_id, m.capability_id) not in now)
    user = factories.member(dropped.capability.firm, "firm_editor")
    notify_recommendations(match_ids=[dropped.pk])  # the new member hears of it too
    return user, dropped


@pytest.mark.parametrize("pruned", [False, True])
def test_go_link_of_a_recommendation_a_later_run_dropped_opens_the_firms_list(
    matched, province_reviewer, pruned
):
    # Given a recommendation the firm was told of, that a later run no longer makes (its row
    # superseded, then perhaps pruned)
    user, dropped = _no_longer_recommended(matched, province_reviewer)
    if pruned:
        Match.objects.filter(pk=dropped.pk).delete()

    # When the firm follows the notification's link
    response = signed_in(user).get(f"/notifications/go/matching.match/{dropped.pk}/", follow=True)

    # Then it lands on its current recommendations (not a 404), told what happened
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/workspace/firm/recommendations/"
    assert "该推荐已被之后的匹配批次更新" in response.content.decode()


def test_go_link_of_another_firms_dropped_recommendation_reveals_nothing(
    matched, province_reviewer
):
    # Given a dropped recommendation of one firm, and a user of another firm
    _user, dropped = _no_longer_recommended(matched, province_reviewer)
    other = next(f for f in matched["firms"] if f.pk != dropped.capability.firm_id)
    stranger = factories.member(other, "firm_editor")

    # When the stranger tries the first firm's link
    response = signed_in(stranger).get(
        f"/notifications/go/matching.match/{dropped.pk}/", follow=True
    )

    # Then the workspace, as for any id it was never told of, and no word about the row
    assert response.redirect_chain[0][0] == "/workspace/"
    assert "匹配批次" not in response.content.decode()


@pytest.mark.parametrize("number", ["0", "-1"])
def test_a_workspace_list_below_page_one_is_its_first_page(agency_user, number):
    from activity.models import Notification

    # given: 35 notifications, two pages of 30
    Notification.objects.bulk_create(
        Notification(user=agency_user, verb="need.published", message=f"通知 {i}")
        for i in range(35)
    )

    # when
    html = signed_in(agency_user).get("/notifications/", {"page": number}).content.decode()

    # then: the first page (Django's get_page gave the last one)
    assert "第 1 / 2 页" in html
