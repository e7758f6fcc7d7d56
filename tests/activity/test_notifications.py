"""Notifications: the in-app row, and the e-mail that links to the page of its target."""

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation

from activity.messages import TEMPLATES, render
from activity.models import Notification
from activity.services import notify_users
from scenarios.services.firms import organization_verify
from scenarios.services.needs import need_submit
from scenarios.services.reviews import need_return
from tests import factories
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


@override_settings(FRONTEND_BASE_URL="https://scenarios.example.cn/")
def test_notification_mail_links_to_the_page_of_its_target(
    agency, agency_user, django_capture_on_commit_callbacks
):
    need = make_need(agency)

    with django_capture_on_commit_callbacks(execute=True):
        notify_users(
            user_ids=[agency_user.pk],
            verb="need.published",
            params={"ref": need.ref, "need": need.title},
            target=need,
        )

    (email,) = mail.outbox
    assert email.to == [agency_user.email]
    link = f"https://scenarios.example.cn/notifications/go/scenarios.scenarioneed/{need.pk}/"
    assert link in email.body
    assert Notification.objects.get(user=agency_user).target_id == str(need.pk)


def test_notification_mail_goes_only_after_commit(agency, agency_user):
    need = make_need(agency)

    notify_users(
        user_ids=[agency_user.pk],
        verb="need.published",
        params={"ref": need.ref, "need": need.title},
        target=need,
    )

    assert mail.outbox == []  # the test's transaction never commits


def test_firm_verification_tells_the_firm(platform_admin):
    firm = factories.FirmFactory.create(verified_at=None)
    firm_user = factories.member(firm, "firm_editor")
    other_firm_user = factories.member(factories.FirmFactory.create(), "firm_editor")

    organization_verify(actor=platform_admin, organization=firm)

    note = Notification.objects.get(verb="organization.verified")
    assert note.user == firm_user
    assert (note.target_type, note.target_id) == ("accounts.organization", str(firm.pk))
    assert not Notification.objects.filter(user=other_firm_user).exists()


def test_a_notification_reads_in_the_readers_language_titles_and_reasons_as_typed(
    agency, agency_user, county_reviewer
):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    with translation.override("en"):  # the committee member reads English
        need_return(actor=county_reviewer, need=need, comment="请补充预算测算依据")

    note = Notification.objects.get(user=agency_user, verb="need.returned")

    # stored in the site's language whoever sent it: the e-mail's text and the fallback
    assert note.message == f"您的场景需求 {need.ref} {need.title} 被退回修改：请补充预算测算依据"
    assert note.params == {"ref": need.ref, "need": need.title, "reason": "请补充预算测算依据"}
    with translation.override("en"):
        assert note.text == (
            f"Your scenario need {need.ref} {need.title} was returned for changes: "
            "请补充预算测算依据"
        )
    with translation.override("zh-hans"):
        assert note.text == note.message


SAMPLE = {
    "ref": "N-1",
    "need": "需求名称",
    "capability": "能力名称",
    "firm": "企业名称",
    "agency": "单位名称",
    "count": 3,
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_notification_sentence_renders_in_both_languages(language):
    """A template whose translation lost or renamed a placeholder renders as "" and fails
    here, instead of showing readers the stored text in the other language."""
    cases = [
        (verb, {**SAMPLE, "variant": variant})
        for verb, template in TEMPLATES.items()
        for variant in (template if isinstance(template, dict) else [""])
    ]
    assert len(cases) >= len(TEMPLATES)
    with translation.override(language):
        for verb, params in cases:
            text = render(verb, params)
            assert "需求名称" in text or "企业名称" in text or "能力名称" in text, verb
            assert "%(" not in text, verb
            if language == "en":
                # only the data is Chinese: strip it and no CJK character is left
                rest = text
                for value in SAMPLE.values():
                    rest = rest.replace(str(value), "")
                assert not any("\u4e00" <= ch <= "\u9fff" for ch in rest), (verb, text)


def test_every_verb_the_services_send_has_a_sentence_and_a_label():
    from portal.labels import VERB_LABELS

    assert set(TEMPLATES) <= set(VERB_LABELS)
    assert set(VERB_LABELS) <= set(TEMPLATES)


def test_a_row_written_before_parameters_shows_its_stored_text(agency, agency_user):
    need = make_need(agency)
    old = Notification.objects.create(
        user=agency_user,
        verb="need.published",
        message="旧的通知文字",
        target_type="scenarios.scenarioneed",
        target_id=str(need.pk),
    )
    with translation.override("en"):
        assert old.text == "旧的通知文字"


def test_the_mail_is_in_the_sites_language_whoever_sends_it(
    agency, agency_user, django_capture_on_commit_callbacks
):
    need = make_need(agency)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notify_users(
            user_ids=[agency_user.pk],
            verb="need.published",
            params={"ref": need.ref, "need": need.title},
            target=need,
        )

    (email,) = mail.outbox
    assert (
        email.subject
        == f"【场景撮合平台】您的场景需求 {need.ref} {need.title} 已发布到机会清单"[
            : len("【场景撮合平台】") + 60
        ]
    )
    assert "查看详情：" in email.body


def test_the_api_gives_the_message_in_the_callers_language_and_the_parameters(
    api, agency, agency_user
):
    need = make_need(agency)
    notify_users(
        user_ids=[agency_user.pk],
        verb="need.published",
        params={"ref": need.ref, "need": need.title},
        target=need,
    )
    api.as_user(agency_user)

    english = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    chinese = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    chinese = chinese["results"][0]

    assert english["message"] == (
        f"Your scenario need {need.ref} {need.title} was published on the opportunity list"
    )
    assert chinese["message"] == f"您的场景需求 {need.ref} {need.title} 已发布到机会清单"
    assert english["params"] == {"ref": need.ref, "need": need.title}


def test_a_decided_review_answers_every_members_waiting_notice(
    agency, agency_user, county_reviewer, city_reviewer
):
    from scenarios.services.reviews import review_decide

    colleague = committee_member_like(county_reviewer)
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    waiting = Notification.objects.filter(verb="review.pending", read_at__isnull=True)
    assert set(waiting.values_list("user", flat=True)) >= {county_reviewer.pk, colleague.pk}

    review_decide(actor=county_reviewer, need=need, decision="approved")

    county = {county_reviewer.pk, colleague.pk}
    assert not waiting.filter(user__in=county).exists()  # answered for both members
    # the next tier's members are told now, and their notices wait
    assert waiting.filter(user=city_reviewer).exists()


def committee_member_like(member):
    """Another member of ``member``'s committee."""
    membership = member.memberships.first()
    return factories.member(membership.organization, membership.role)


def test_a_need_over_the_budget_line_is_marked_major_when_it_enters_review(agency, agency_user):
    from scenarios.services.policy import policy_current

    line = policy_current().major_budget_threshold_cny
    big = need_submit(actor=agency_user, need=make_need(agency, region="360102", budget_cny=line))
    small = need_submit(
        actor=agency_user, need=make_need(agency, region="360102", budget_cny=line - 1)
    )

    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.is_major, small.is_major) == (True, False)


def test_the_api_refuses_a_verb_it_never_sends(api, agency_user):
    api.as_user(agency_user)

    known = api.get("/api/v1/notifications/", {"verb": "need.published"})
    unknown = api.get("/api/v1/notifications/", {"verb": "need.exploded"})

    assert known.status_code == 200
    assert unknown.status_code == 400
    assert "verb" in unknown.json()["fields"]
