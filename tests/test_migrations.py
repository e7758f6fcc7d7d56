"""A database of the old layout (every model in scenarios) migrates to the apps, rows and
all: the moved tables keep their names, so nothing is copied and nothing is lost."""

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Committee, Invitation, Membership, Organization, OrganizationRelation
from activity.models import AuditEvent, Notification
from core.models import IdempotencyRecord
from reference.models import IndustryChain, Region
from scenarios.models import Assessment, ScenarioNeed
from scenarios.services.setup import reference_load

OLD_LAYOUT = [
    ("scenarios", "0002_pipeline"),
    ("accounts", None),
    ("activity", None),
    ("core", None),
    ("reference", None),
]
MOVED = {
    "core": ["idempotencyrecord"],
    "activity": ["auditevent", "notification"],
    "reference": ["region", "industrychain"],
    "accounts": ["organization", "organizationrelation", "membership", "invitation", "committee"],
}


def migrate(targets):
    """Migrate to ``targets`` and return the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    state_at = [t for t in targets if t[1] is not None]
    return MigrationExecutor(connection).loader.project_state(state_at).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_old_layout_database_migrates_with_every_row(reference):
    # given: the schema as it was, every model under scenarios, with rows in each moved table
    user = User.objects.create_user("migrating", email="m@example.cn", password="x-Pass-2026")
    perm_ids = {
        model: set(
            Permission.objects.filter(
                content_type__app_label=app, content_type__model=model
            ).values_list("pk", flat=True)
        )
        for app, models in MOVED.items()
        for model in models
    }
    old = migrate(OLD_LAYOUT)
    try:
        get = lambda name: old.get_model("scenarios", name)  # noqa: E731
        county = get("Region").objects.get(code="360102")
        chain = get("IndustryChain").objects.get(slug="digital-city")
        agency = get("Organization").objects.create(kind="agency", name="迁移测试局", region=county)
        firm = get("Organization").objects.create(
            kind="firm", name="迁移测试公司", region=county, credit_code="91360102MA00000000"
        )
        relation = get("OrganizationRelation").objects.create(
            from_org=agency, to_org=firm, kind="affiliate"
        )
        membership = get("Membership").objects.create(
            user_id=user.pk, organization=agency, role="agency_editor"
        )
        invitation = get("Invitation").objects.create(
            email="new@example.cn",
            organization=agency,
            role="agency_editor",
            token_hash="f" * 64,
            invited_by_id=user.pk,
            expires_at="2030-01-01T00:00:00Z",
        )
        committee_id = get("Committee").objects.get(region=county).pk
        need = get("ScenarioNeed").objects.create(
            ref="MIG-N-1",
            title="迁移测试需求",
            description="迁移前写入的需求。",
            category="social_governance",
            region=county,
            agency=agency,
            validation_type="technology",
            min_trl=5,
        )
        need.chains.add(chain)
        audit = get("AuditEvent").objects.create(
            actor_id=user.pk,
            action="organization.create",
            target_type="scenarios.organization",
            target_id=str(agency.pk),
        )
        note = get("Notification").objects.create(
            user_id=user.pk,
            verb="need.published",
            message="迁移",
            target_type="scenarios.scenarioneed",
            target_id=str(need.pk),
        )
        idem = get("IdempotencyRecord").objects.create(
            user_id=user.pk,
            key="k-1",
            endpoint="/api/v1/needs/",
            request_hash="0" * 64,
            status_code=201,
            response_body={"id": need.pk},
        )
        old_cts = set(
            ContentType.objects.filter(app_label="scenarios").values_list("model", flat=True)
        )
    finally:
        # when: the migrations of the new layout run over it
        migrate(latest())

    # then: every row is there, under its new app, with its relations intact
    assert old_cts >= {m for models in MOVED.values() for m in models}
    agency_now = Organization.objects.get(pk=agency.pk)
    assert agency_now.region_id == "360102"
    assert Organization.objects.get(pk=firm.pk).credit_code == "91360102MA00000000"
    assert OrganizationRelation.objects.get(pk=relation.pk).to_org_id == firm.pk
    assert Membership.objects.get(pk=membership.pk).organization_id == agency.pk
    assert Invitation.objects.get(pk=invitation.pk).token_hash == "f" * 64
    assert Committee.objects.get(pk=committee_id).region_id == "360102"
    need_now = ScenarioNeed.objects.get(pk=need.pk)
    assert need_now.agency == agency_now
    assert list(need_now.chains.values_list("slug", flat=True)) == ["digital-city"]
    assert Region.objects.count() == 3211
    assert IndustryChain.objects.filter(slug="digital-city").exists()
    assert IdempotencyRecord.objects.get(pk=idem.pk).response_body == {"id": need.pk}
    assert Notification.objects.get(pk=note.pk).target_type == "scenarios.scenarioneed"
    # labels of moved targets follow their model, so an organization's trail stays whole
    assert AuditEvent.objects.get(pk=audit.pk).target_type == "accounts.organization"
    # content types moved with their permissions (a group's rights are kept)
    for app, models in MOVED.items():
        for model in models:
            content_type = ContentType.objects.get(app_label=app, model=model)
            assert set(content_type.permission_set.values_list("pk", flat=True)) == perm_ids[model]
    assert not ContentType.objects.filter(
        app_label="scenarios", model__in=[m for models in MOVED.values() for m in models]
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_new_layout_migrates_back_to_the_old_one(reference):
    # given: an organization audited under the new layout
    reference_load()
    agency = Organization.objects.create(
        kind="agency", name="回退测试局", region=Region.objects.get(code="360102")
    )
    AuditEvent.objects.create(
        action="organization.create", target_type="accounts.organization", target_id=str(agency.pk)
    )

    # when: rolling the layout back
    try:
        old = migrate(OLD_LAYOUT)
        old_org = old.get_model("scenarios", "Organization")
        old_audit = old.get_model("scenarios", "AuditEvent")

        # then: the old models read the same rows, labels as they were
        assert old_org.objects.get(pk=agency.pk).name == "回退测试局"
        assert old_audit.objects.filter(
            target_type="scenarios.organization", target_id=str(agency.pk)
        ).exists()
        assert ContentType.objects.filter(app_label="scenarios", model="organization").exists()
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_group_rights_survive_a_rollback_and_a_second_migration(reference):
    """``migrate`` itself recreates the content types of the code's models after every run
    (post_migrate); moving back and forth must merge them, not leave rights behind."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    # given: a group allowed to change organizations, and admin history about one
    reference_load()
    organization_type = ContentType.objects.get(app_label="accounts", model="organization")
    group = Group.objects.create(name="运营")
    group.permissions.add(
        Permission.objects.get(content_type=organization_type, codename="change_organization")
    )
    agency = Organization.objects.create(
        kind="agency", name="权限测试局", region=Region.objects.get(code="360102")
    )
    admin_user = User.objects.create_superuser("ops", "ops@example.cn", "x-Pass-2026")
    LogEntry.objects.create(
        user=admin_user,
        content_type=organization_type,
        object_id=str(agency.pk),
        object_repr=str(agency),
        action_flag=CHANGE,
    )

    # when: rolled back to the old layout and migrated forward again, through `migrate`
    try:
        call_command("migrate", "scenarios", "0002_pipeline", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)

    # then: one content type per model, under its app, still carrying the group's right
    # and the admin history; no stale scenarios content types or duplicate permissions
    moved = [m for models in MOVED.values() for m in models]
    assert not ContentType.objects.filter(app_label="scenarios", model__in=moved).exists()
    organization_type = ContentType.objects.get(app_label="accounts", model="organization")
    assert set(
        Permission.objects.filter(content_type=organization_type).values_list("codename", flat=True)
    ) == {"add_organization", "change_organization", "delete_organization", "view_organization"}
    assert group.permissions.filter(
        content_type=organization_type, codename="change_organization"
    ).exists()
    assert LogEntry.objects.get(object_id=str(agency.pk)).content_type == organization_type


@pytest.mark.django_db(transaction=True)
def test_chain_ids_are_filled_from_the_links_of_existing_rows(reference):
    # given: needs linked to chains before the items carried their chain ids
    agency = Organization.objects.create(
        kind="agency", name="链编号测试局", region=Region.objects.get(code="360102")
    )
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    sets = [["lithium-battery", "digital-city"], ["lithium-battery"], []]
    try:
        old = migrate([("scenarios", "0004_list_order_indexes")])
        old_need = old.get_model("scenarios", "ScenarioNeed")
        made = []
        for n, slugs in enumerate(sets):
            need = old_need.objects.create(
                ref=f"MIG-CHAIN-{n}",
                title="迁移",
                description="迁移测试",
                category="livelihood",
                validation_type="technology",
                min_trl=5,
                region_id="360102",
                agency_id=agency.pk,
            )
            need.chains.set([ids[s] for s in slugs])
            made.append(need.pk)

        # when: the chain ids arrive
        migrate(latest())

        # then: each row holds its own links' ids, sorted
        stored = dict(ScenarioNeed.objects.filter(pk__in=made).values_list("pk", "chain_ids"))
        assert [stored[pk] for pk in made] == [
            ",".join(str(i) for i in sorted(ids[s] for s in slugs)) for slugs in sets
        ]
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_control_characters_leave_existing_keywords(reference):
    agency = Organization.objects.create(
        kind="agency", name="关键词清理局", region=Region.objects.get(code="360102")
    )
    try:
        old = migrate([("scenarios", "0006_phone_numbers_validated")])
        old_need = old.get_model("scenarios", "ScenarioNeed")
        need = old_need.objects.create(
            ref="MIG-KW-1",
            title="迁移",
            description="迁移测试",
            category="livelihood",
            validation_type="technology",
            min_trl=5,
            region_id="360102",
            agency_id=agency.pk,
            keywords=["储能\t系统", "储能 系统", "\x01", "光伏"],
        )

        migrate(latest())

        assert ScenarioNeed.objects.get(pk=need.pk).keywords == ["储能 系统", "光伏"]
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_first_submission_is_read_from_the_trail(reference):
    from datetime import timedelta

    from django.utils import timezone

    agency = Organization.objects.create(
        kind="agency", name="提交时间回填局", region=Region.objects.get(code="360102")
    )
    try:
        old = migrate([("scenarios", "0007_keywords_without_control_characters")])
        old_need = old.get_model("scenarios", "ScenarioNeed")
        old_audit = old.get_model("activity", "AuditEvent")
        needs = [
            old_need.objects.create(
                ref=f"MIG-SUB-{n}",
                title="迁移",
                description="迁移测试",
                category="livelihood",
                validation_type="technology",
                min_trl=5,
                region_id="360102",
                agency_id=agency.pk,
                status="withdrawn",
            )
            for n in range(2)
        ]
        first = timezone.now() - timedelta(days=3)
        for at in (first, first + timedelta(days=1)):  # submitted twice (returned between)
            event = old_audit.objects.create(
                action="need.submit",
                target_type="scenarios.scenarioneed",
                target_id=str(needs[0].pk),
            )
            old_audit.objects.filter(pk=event.pk).update(created_at=at)

        migrate(latest())

        stored = dict(
            ScenarioNeed.objects.filter(pk__in=[n.pk for n in needs]).values_list(
                "pk", "submitted_at"
            )
        )
        assert stored[needs[0].pk] == first
        assert stored[needs[1].pk] is None  # never submitted
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_assessment_revisions_are_read_from_the_trail(reference):
    agency = Organization.objects.create(
        kind="agency", name="修改次数回填局", region=Region.objects.get(code="360102")
    )
    experts = [
        User.objects.create_user(f"backfill-{n}", email=f"b{n}@example.cn", password="x-Pass-2026")
        for n in range(2)
    ]
    try:
        old = migrate([("scenarios", "0025_pilot_capability_title")])
        old_need = old.get_model("scenarios", "ScenarioNeed")
        old_assessment = old.get_model("scenarios", "Assessment")
        old_audit = old.get_model("activity", "AuditEvent")
        policy = old.get_model("scenarios", "PolicyVersion").objects.get(version=1)
        need = old_need.objects.create(
            ref="MIG-ASSESS-1",
            title="迁移",
            description="迁移测试",
            category="livelihood",
            validation_type="technology",
            min_trl=5,
            region_id="360102",
            agency_id=agency.pk,
            status="withdrawn",
        )
        changed, commented = (
            old_assessment.objects.create(
                need_id=need.pk,
                expert_id=expert.pk,
                policy_id=policy.pk,
                scores={},
                weighted_score=70,
            )
            for expert in experts
        )
        trail = [
            (changed, "assessment.create", 70),
            (changed, "assessment.update", 70),  # the comment alone
            (changed, "assessment.update", 75),
            (changed, "assessment.update", 80),
            (commented, "assessment.create", 60),
            (commented, "assessment.update", 60),
        ]
        events = [
            old_audit.objects.create(
                action=action,
                target_type="scenarios.assessment",
                target_id=str(assessment.pk),
                data={"need": need.pk, "weighted_score": score, "policy": 1},
            )
            for assessment, action, score in trail
        ]

        migrate(latest())

        now_changed = Assessment.objects.get(pk=changed.pk)
        assert now_changed.revisions == 2
        assert now_changed.revisions_under_criteria == 2
        assert now_changed.revised_at == events[3].created_at
        assert Assessment.objects.get(pk=commented.pk).revisions == 0
    finally:
        migrate(latest())
