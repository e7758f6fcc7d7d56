"""Notifications: the in-app row, and the e-mail that links to the page of its target."""

import pytest
from django.core import mail
from django.test import override_settings

from activity.models import Notification
from activity.services import notify_users
from scenarios.services.firms import organization_verify
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
            user_ids=[agency_user.pk], verb="need.published", message="已发布", target=need
        )

    (email,) = mail.outbox
    assert email.to == [agency_user.email]
    link = f"https://scenarios.example.cn/notifications/go/scenarios.scenarioneed/{need.pk}/"
    assert link in email.body
    assert Notification.objects.get(user=agency_user).target_id == str(need.pk)


def test_notification_mail_goes_only_after_commit(agency, agency_user):
    need = make_need(agency)

    notify_users(user_ids=[agency_user.pk], verb="need.published", message="已发布", target=need)

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
