"""Django admin: every page renders, actions go through services, the audit trail is read-only."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.choices import Role
from accounts.models import Committee, Invitation, Membership, Organization, OrganizationRelation
from accounts.services.invitations import invitation_create
from activity.models import AuditEvent
from core.models import IdempotencyRecord, OutboxMessage
from reference.models import Region
from scenarios.models import Assessment, NegativeListEntry, Review
from scenarios.services.assessments import assessment_submit
from scenarios.services.capabilities import capability_submit, capability_suspend
from scenarios.services.needs import need_submit
from scenarios.services.negative_list import negative_entry_create
from scenarios.services.pilots import pilot_start
from scenarios.services.reviews import review_decide
from tests import factories
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db
SCORES = {
    "tech_advancement": 90,
    "demonstration": 80,
    "industry_pull": 70,
    "replicability": 60,
    "feasibility": 100,
}


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def run_action(client, model, action, objects, reason=""):
    return client.post(
        changelist(model),
        {
            "action": action,
            "_selected_action": [o.pk for o in objects],
            "index": 0,
            "reason": reason,
        },
        follow=True,
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def world(agency, agency_user, firm, county_reviewer, city_reviewer, platform_admin):
    """At least one row of every registered model, built through the services."""
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")
    capability = capability_submit(actor=None, capability=make_capability(firm))
    expert = factories.member(factories.ExpertInstitutionFactory.create(), Role.EXPERT)
    assessment_submit(actor=expert, need=need, scores=SCORES)
    factories.shortlisted_pair(need, capability)
    pilot = pilot_start(
        actor=agency_user,
        need=need,
        capability=capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
    )
    negative_entry_create(actor=platform_admin, kind="keyword", reason="禁止", keyword="赌博")
    committee_org = Committee.objects.get(region_id="360100").organization
    invitation_create(
        actor=platform_admin,
        email="m@example.cn",
        organization=committee_org,
        role=Role.COMMITTEE_MEMBER,
    )
    OrganizationRelation.objects.create(from_org=agency, to_org=firm, kind="affiliate")
    IdempotencyRecord.objects.create(
        user=agency_user,
        key="k1",
        endpoint="/api/v1/needs/",
        request_hash="0" * 64,
        status_code=201,
        response_body={},
    )
    OutboxMessage.objects.create(task_name="matching.execute_run", kwargs={"run_id": 1})
    return {"need": need, "capability": capability, "pilot": pilot}


@pytest.fixture
def pending_need(agency, agency_user):
    """A need waiting at the Donghu (county) committee."""
    return need_submit(actor=agency_user, need=make_need(agency, region="360102"))


@pytest.fixture
def reviewer_client(client, county_reviewer):
    """The admin, signed in as a member of the Donghu committee with admin access."""
    county_reviewer.is_staff = county_reviewer.is_superuser = True
    county_reviewer.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(county_reviewer)
    return client


# --- every page renders --------------------------------------------------------------------


def test_admin_changelist_and_change_page_of_every_model_render(admin_client, world):
    project_apps = {"core", "activity", "reference", "accounts", "scenarios"}
    registered = [
        (m, a) for m, a in admin.site._registry.items() if m._meta.app_label in project_apps
    ]

    for model, model_admin in registered:
        response = admin_client.get(changelist(model))
        assert response.status_code == 200, model
        obj = model_admin.get_queryset(response.wsgi_request).first()
        assert obj is not None, f"no {model.__name__} row to open"
        assert admin_client.get(change(obj)).status_code == 200, model

    assert {m._meta.model_name for m, _ in registered} >= {
        "scenarioneed",
        "capability",
        "review",
        "assessment",
        "pilot",
        "organization",
        "organizationrelation",
        "membership",
        "invitation",
        "notification",
        "auditevent",
        "negativelistentry",
        "policyversion",
        "committee",
        "region",
        "industrychain",
        "idempotencyrecord",
    }


def test_admin_changelist_search_and_filters_render(admin_client, world):
    need = world["need"]
    need.refresh_from_db()

    response = admin_client.get(
        changelist(type(need)), {"q": need.ref, "status__exact": need.status}
    )

    assert response.status_code == 200
    assert need.title in response.content.decode()


def test_admin_user_change_page_lists_memberships(admin_client, firm_user, firm):
    response = admin_client.get(reverse("admin:auth_user_change", args=[firm_user.pk]))

    assert response.status_code == 200
    assert firm.name in response.content.decode()


@pytest.mark.parametrize(
    "model_name",
    [
        "accounts_organization",
        "accounts_organizationrelation",
        "accounts_membership",
        "accounts_invitation",
        "scenarios_negativelistentry",
    ],
)
def test_admin_add_pages_render(admin_client, model_name):
    response = admin_client.get(reverse(f"admin:{model_name}_add"))

    assert response.status_code == 200


def test_admin_need_change_page_shows_reviews_and_audit_trail(admin_client, world):
    need = world["need"]

    content = admin_client.get(change(need)).content.decode()

    assert "审计轨迹" in content
    assert "need.review_open" in content
    assert "need.publish" in content
    assert "工作委员会" in content  # the reviews inline names the committees
    assert 'name="_save"' not in content  # view-only: status cannot be edited here


def test_admin_capability_change_page_shows_audit_trail(admin_client, world):
    capability = world["capability"]

    content = admin_client.get(change(capability)).content.decode()

    assert "capability.publish" in content or "capability.submit" in content


# --- review actions ------------------------------------------------------------------------


def test_admin_need_approve_action_calls_review_service(
    reviewer_client, county_reviewer, pending_need
):
    response = run_action(reviewer_client, type(pending_need), "review_approved", [pending_need])

    pending_need.refresh_from_db()
    assert response.status_code == 200
    assert (pending_need.status, pending_need.review_tier) == ("in_review", "city")
    event = AuditEvent.objects.get(action="need.forward", target_id=str(pending_need.pk))
    assert event.actor == county_reviewer
    assert any("已通过" in t for t in texts(response))


def test_admin_need_return_action_records_the_reason(reviewer_client, pending_need):
    run_action(
        reviewer_client, type(pending_need), "review_returned", [pending_need], reason="请补充预算"
    )

    pending_need.refresh_from_db()
    assert pending_need.status == "returned"
    event = AuditEvent.objects.get(action="need.return", target_id=str(pending_need.pk))
    assert event.reason == "请补充预算"


def test_admin_need_reject_without_reason_shows_service_error(reviewer_client, pending_need):
    response = run_action(reviewer_client, type(pending_need), "review_rejected", [pending_need])

    pending_need.refresh_from_db()
    assert pending_need.status == "in_review"
    assert any("必须填写理由" in t for t in texts(response))
    assert not AuditEvent.objects.filter(action="need.reject").exists()


def test_admin_need_approve_by_platform_admin_decides_the_current_tier(
    admin_client, admin_user, pending_need
):
    response = run_action(admin_client, type(pending_need), "review_approved", [pending_need])

    pending_need.refresh_from_db()
    assert (pending_need.status, pending_need.review_tier) == ("in_review", "city")
    county = pending_need.reviews.get(tier="county")
    assert (county.decision, county.reviewer) == ("approved", admin_user)
    event = AuditEvent.objects.get(action="need.forward", target_id=str(pending_need.pk))
    assert event.actor == admin_user
    assert any("已通过" in t for t in texts(response))


def test_admin_need_approve_by_staff_outside_committee_is_refused(client, pending_need):
    outsider = factories.UserFactory.create(is_staff=True)
    outsider.user_permissions.add(*Permission.objects.filter(codename__endswith="scenarioneed"))
    client.force_login(outsider)

    response = run_action(client, type(pending_need), "review_approved", [pending_need])

    pending_need.refresh_from_db()
    assert pending_need.review_tier == "county"
    assert any("不是该需求当前审核委员会的成员" in t for t in texts(response))
    assert not AuditEvent.objects.filter(action="need.forward").exists()


def test_admin_review_approve_action_decides_the_pending_review(reviewer_client, pending_need):
    review = pending_need.reviews.get()

    run_action(reviewer_client, type(review), "review_approved", [review])

    review.refresh_from_db()
    assert review.decision == "approved"


# --- capability and organization actions ---------------------------------------------------


def test_admin_capability_suspend_action_records_reason(admin_client, world):
    capability = world["capability"]

    run_action(admin_client, type(capability), "suspend", [capability], reason="资质存疑")

    capability.refresh_from_db()
    assert capability.status == "suspended"
    event = AuditEvent.objects.get(action="capability.suspend")
    assert event.reason == "资质存疑"


def test_admin_capability_suspend_without_reason_shows_service_error(admin_client, world):
    capability = world["capability"]

    response = run_action(admin_client, type(capability), "suspend", [capability])

    capability.refresh_from_db()
    assert capability.status == "published"
    assert any("理由" in t for t in texts(response))
    assert not AuditEvent.objects.filter(action="capability.suspend").exists()


def test_admin_capability_reinstate_action_publishes_again(admin_client, world, platform_admin):
    capability = capability_suspend(
        actor=platform_admin, capability=world["capability"], reason="核查"
    )

    run_action(admin_client, type(capability), "reinstate", [capability])

    capability.refresh_from_db()
    assert capability.status == "published"
    assert AuditEvent.objects.filter(action="capability.reinstate").count() == 1


def test_admin_verify_firm_action_calls_service_and_audits(admin_client, admin_user):
    firm = factories.FirmFactory.create(verified_at=None, region=Region.objects.get(code="360102"))

    run_action(admin_client, type(firm), "verify_firms", [firm])

    firm.refresh_from_db()
    assert firm.verified_at is not None
    assert firm.verified_by == admin_user
    event = AuditEvent.objects.get(action="organization.verify", target_id=str(firm.pk))
    assert event.actor == admin_user


# --- adds through services -----------------------------------------------------------------


def test_admin_invitation_add_calls_service_and_mails(
    admin_client, django_capture_on_commit_callbacks
):
    committee_org = Committee.objects.get(region_id="360100").organization

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:accounts_invitation_add"),
            {
                "email": "new@example.cn",
                "organization": committee_org.pk,
                "role": "committee_member",
            },
            follow=True,
        )

    assert response.status_code == 200
    invitation = Invitation.objects.get(email="new@example.cn")
    assert len(invitation.token_hash) == 64
    assert AuditEvent.objects.filter(action="invitation.create", target_id=str(invitation.pk))
    assert len(mail.outbox) == 1


def test_admin_membership_add_with_unfitting_role_shows_service_error(admin_client, firm):
    user = factories.UserFactory.create()

    response = admin_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": user.pk, "organization": firm.pk, "role": "committee_member"},
        follow=True,
    )

    assert response.status_code == 200
    assert "角色与组织类型不符" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


# --- the audit trail is read-only ----------------------------------------------------------


def test_admin_audit_event_is_read_only(admin_client, pending_need):
    event = AuditEvent.objects.filter(target_id=str(pending_need.pk)).earliest("id")
    opts = AuditEvent._meta

    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    edit = admin_client.post(change(event), {"action": "tampered", "reason": "x"})
    delete = admin_client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[event.pk]),
        {"post": "yes"},
    )
    view = admin_client.get(change(event))

    assert add.status_code == 403
    assert edit.status_code == 403
    assert delete.status_code == 403
    assert view.status_code == 200
    event.refresh_from_db()
    assert event.action != "tampered"
    model_admin = admin.site._registry[AuditEvent]
    assert "delete_selected" not in model_admin.get_actions(view.wsgi_request)


def test_admin_organization_edit_goes_through_update_service(admin_client, admin_user, firm):
    response = admin_client.post(
        change(firm),
        {
            "name": firm.name,
            "contact_name": "赵工",
            "contact_phone": "0791-1",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    assert response.status_code == 200
    firm.refresh_from_db()
    assert firm.contact_name == "赵工"
    event = AuditEvent.objects.get(action="organization.update", target_id=str(firm.pk))
    assert event.actor == admin_user
    assert event.data["after"] == {"contact_name": "赵工", "contact_phone": "0791-1"}


def test_admin_need_changelist_offers_reason_box(admin_client, pending_need):
    content = admin_client.get(changelist(type(pending_need))).content.decode()

    assert 'name="reason"' in content
    assert "review_returned" in content


def test_admin_addresses_of_moved_models_redirect_to_their_new_app(admin_client, world):
    # given: a bookmark from before organizations moved to the accounts app
    org = world["need"].agency

    # when
    listing = admin_client.get("/admin/scenarios/organization/?q=局")
    page = admin_client.get(f"/admin/scenarios/organization/{org.pk}/change/")

    # then: permanent redirects to the same page under accounts; needs stay where they are
    assert listing.status_code == 301
    assert listing["Location"] == "/admin/accounts/organization/?q=%E5%B1%80"
    assert page["Location"] == f"/admin/accounts/organization/{org.pk}/change/"
    assert admin_client.get("/admin/scenarios/scenarioneed/").status_code == 200
    assert admin_client.get("/admin/scenarios/nosuchmodel/").status_code == 404


def test_admin_sign_in_is_rate_limited_like_the_portal(client, platform_admin, monkeypatch):
    """Guessing the admin's password meets the same per-address budget as the portal's and
    the API's sign-in: over it the form says so and not even the right password is tried."""
    from core.api.throttles import LoginThrottle

    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "3/min")
    platform_admin.set_password("Right-pass-2026")
    platform_admin.save()
    url = reverse("admin:login")

    guesses = [
        client.post(url, {"username": platform_admin.username, "password": f"wrong-{i}"})
        for i in range(3)
    ]
    right = client.post(url, {"username": platform_admin.username, "password": "Right-pass-2026"})

    assert all(r.status_code == 200 for r in guesses)  # the form again, with its error
    assert "尝试次数过多" not in guesses[-1].content.decode()
    assert right.status_code == 200
    assert "尝试次数过多" in right.content.decode()
    assert "_auth_user_id" not in client.session


# --- API tokens and passwords --------------------------------------------------------------


def test_admin_has_no_api_token_pages(admin_client, firm_user):
    # given: a user holding an API token
    token = Token.objects.create(user=firm_user)

    # when: the operator opens the stock token admin's pages and the index
    listing = admin_client.get("/admin/authtoken/tokenproxy/")
    add = admin_client.get("/admin/authtoken/tokenproxy/add/")
    app_index = admin_client.get("/admin/authtoken/")
    index = admin_client.get(reverse("admin:index")).content.decode()

    # then: none of them exists and no key is shown anywhere
    assert (listing.status_code, add.status_code, app_index.status_code) == (404, 404, 404)
    assert "/admin/authtoken/" not in index
    assert token.key not in index


def test_admin_password_set_revokes_api_tokens_and_is_audited(admin_client, admin_user, firm_user):
    # given: a user with an API token
    Token.objects.create(user=firm_user)

    # when: the operator sets a new password in the admin
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[firm_user.pk]),
        {
            "usable_password": "true",
            "password1": "Xinmima-Ganjiang-9",
            "password2": "Xinmima-Ganjiang-9",
        },
    )

    # then: the password changed, the token no longer exists, and the platform audit has it
    assert response.status_code == 302
    firm_user.refresh_from_db()
    assert firm_user.check_password("Xinmima-Ganjiang-9")
    assert not Token.objects.filter(user=firm_user).exists()
    event = AuditEvent.objects.get(action="user.password_reset", target_id=str(firm_user.pk))
    assert event.actor == admin_user
    assert event.data["tokens_revoked"] == 1


def test_admin_password_disable_revokes_api_tokens(admin_client, firm_user):
    # given: a user with an API token
    Token.objects.create(user=firm_user)

    # when: the operator turns password sign-in off
    admin_client.post(
        reverse("admin:auth_user_password_change", args=[firm_user.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )

    # then: no password, no token
    firm_user.refresh_from_db()
    assert not firm_user.has_usable_password()
    assert not Token.objects.filter(user=firm_user).exists()
    assert AuditEvent.objects.filter(action="user.password_reset", target_id=str(firm_user.pk))


# --- committees the admin cannot set up ----------------------------------------------------


def test_admin_membership_add_committee_member_without_committee_is_refused(admin_client):
    # given: a committee-kind organization the operator added, with no committee (tier, region)
    org = factories.OrganizationFactory.create(kind="committee", name="测试委员会")
    user = factories.UserFactory.create()

    # when: the operator grants someone the committee member role in it
    response = admin_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": user.pk, "organization": org.pk, "role": "committee_member"},
        follow=True,
    )

    # then: refused, saying the organization has no committee (tier and region)
    assert response.status_code == 200
    assert "没有对应的工作委员会" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_admin_invitation_to_committee_without_committee_is_refused(admin_client):
    # given: a committee-kind organization without a committee
    org = factories.OrganizationFactory.create(kind="committee", name="测试委员会")

    # when: the operator invites a committee member to it
    admin_client.post(
        reverse("admin:accounts_invitation_add"),
        {"email": "new@example.cn", "organization": org.pk, "role": "committee_member"},
        follow=True,
    )

    # then: no invitation that would fail (or loop) once accepted
    assert not Invitation.objects.filter(email="new@example.cn").exists()


def test_workspace_of_committee_member_without_committee_does_not_loop(client):
    # given: a committee member (granted before the check existed) of an organization
    # that has no committee row
    org = factories.OrganizationFactory.create(kind="committee", name="测试委员会")
    user = factories.member(org, Role.COMMITTEE_MEMBER)
    client.force_login(user)

    # when: they open their workspace, and the committee page
    response = client.get("/workspace/")
    committee = client.get("/workspace/committee/", follow=True)

    # then: the no-role page, saying why, not a redirect round /workspace/committee/
    assert response.status_code == 200
    assert "尚未设立完成的工作委员会" in response.content.decode()
    assert committee.status_code == 200
    assert committee.redirect_chain == [("/workspace/", 302)]


# --- refusals on the form's fields ---------------------------------------------------------


def field_errors(response) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {k: [str(m) for m in v] for k, v in form.errors.items()}


def test_admin_organization_add_firm_without_credit_code_says_so_on_the_field(admin_client):
    # when: a firm is added without a credit code
    response = admin_client.post(
        reverse("admin:accounts_organization_add"),
        {
            "kind": "firm",
            "name": "无代码科技有限公司",
            "region": "360100",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    # then: the field says what is missing; no constraint name anywhere
    assert response.status_code == 200
    assert field_errors(response)["credit_code"] == ["企业必须填写统一社会信用代码。"]
    assert "organization_firm_has_credit_code" not in response.content.decode()


def test_admin_negative_entry_keyword_kind_without_keyword_says_so_on_the_field(admin_client):
    response = admin_client.post(
        reverse("admin:scenarios_negativelistentry_add"),
        {"kind": "keyword", "keyword": "", "reason": "测试"},
    )

    assert response.status_code == 200
    assert field_errors(response) == {"keyword": ["类型为关键词时请填写关键词。"]}
    assert "negative_entry_kind_matches_value" not in response.content.decode()


def test_admin_service_refusal_shows_on_the_field_and_keeps_the_input(admin_client):
    # when: the service refuses a keyword that is too short
    response = admin_client.post(
        reverse("admin:scenarios_negativelistentry_add"),
        {"kind": "keyword", "keyword": "a", "reason": "涉赌内容"},
    )

    # then: the form again, the reason on the keyword field, what was typed still there
    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == ["keyword"]
    assert "关键词太短" in errors["keyword"][0]
    content = response.content.decode()
    assert 'value="涉赌内容"' in content
    assert 'value="a"' in content
    assert not NegativeListEntry.objects.filter(keyword="a").exists()


def test_admin_organization_add_look_alike_name_is_refused_on_the_name(admin_client, firm):
    # given: an existing firm; when: the operator adds one whose name reads the same
    look_alike = firm.name.replace("有限公司", "有限责任公司")
    response = admin_client.post(
        reverse("admin:accounts_organization_add"),
        {
            "kind": "firm",
            "name": look_alike,
            "region": "360102",
            "credit_code": factories.credit_code_for(90003),
            "contact_name": "张三",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    # then: the name field says so and the form keeps the input; nothing was created
    assert response.status_code == 200
    assert "其他单位使用" in field_errors(response)["name"][0]
    assert 'value="张三"' in response.content.decode()
    assert not Organization.objects.filter(name=look_alike).exists()


def test_admin_organization_rename_with_direction_override_is_refused(admin_client, firm):
    response = admin_client.post(
        change(firm),
        {
            "name": "赣智\u202e科技有限公司",
            "contact_name": "",
            "contact_phone": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "文字方向控制字符" in field_errors(response)["name"][0]
    firm.refresh_from_db()
    assert "\u202e" not in firm.name


# --- labels and values the operator reads --------------------------------------------------


def test_admin_columns_have_chinese_headers_and_rounded_scores(admin_client, world):
    # given: an assessment whose mean carries binary noise
    Assessment.objects.update(weighted_score=86.00000000000001)

    # when
    reviews = admin_client.get(changelist(Review)).content.decode()
    assessments = admin_client.get(changelist(Assessment)).content.decode()
    memberships = admin_client.get(changelist(Membership)).content.decode()

    # then: every header in Chinese; the score as people write it
    for page, header in [(reviews, "工作委员会"), (assessments, "专家"), (memberships, "授予时间")]:
        assert header in page
    assert 'href="?o=1">Need<' not in reviews
    assert ">need<" not in reviews.lower()
    assert "86.00000000000001" not in assessments
    assert "86.0" in assessments


def test_admin_user_delete_blocked_by_records_suggests_deactivating(admin_client, firm_user):
    # when: the operator tries to delete a user who holds a role
    response = admin_client.get(reverse("admin:auth_user_delete", args=[firm_user.pk]))

    # then: not blamed on a permission; deactivating is suggested; the user stays
    content = response.content.decode()
    assert response.status_code == 200
    assert "取消勾选“有效”" in content
    assert "无权删除" not in content
    post = admin_client.post(
        reverse("admin:auth_user_delete", args=[firm_user.pk]), {"post": "yes"}
    )
    assert post.status_code == 200
    assert type(firm_user).objects.filter(pk=firm_user.pk).exists()


def test_admin_need_and_capability_pages_label_the_author_in_chinese(admin_client, world):
    need_page = admin_client.get(change(world["need"])).content.decode()
    capability_page = admin_client.get(change(world["capability"])).content.decode()

    for page in (need_page, capability_page):
        assert "创建人" in page
        assert "Created by" not in page


def test_admin_invitation_names_the_role_in_words(admin_client, world):
    invitation = Invitation.objects.get(email="m@example.cn")

    assert str(invitation).endswith("（工作委员会成员）")
    assert "(committee_member)" not in admin_client.get(changelist(Invitation)).content.decode()
