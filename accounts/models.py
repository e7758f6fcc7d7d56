"""Organizations (agencies, firms, expert institutions, committees), their people, the
committees' jurisdictions and invitations.

The tables predate the accounts app (they were scenarios'); ``db_table`` keeps their names.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import OrganizationKind, Role
from accounts.validators import phone_validator, validate_credit_code
from core.validation import one_line_text
from reference.choices import RegionLevel


class Organization(models.Model):
    """A legal or administrative body that acts on the platform.

    Firms carry a unique, checked unified social credit code and start unverified; only a
    verified firm's capabilities may publish. Agency names are unique so imports can find
    them by name.
    """

    kind = models.CharField(_("类型"), max_length=32, choices=OrganizationKind.choices)
    # Names and contacts show on public pages: no direction overrides, nothing invisible.
    name = models.CharField(_("名称"), max_length=128, validators=[one_line_text])
    region = models.ForeignKey(
        "reference.Region",
        on_delete=models.PROTECT,
        related_name="organizations",
        verbose_name=_("所在地区"),
    )
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_credit_code],
    )
    contact_name = models.CharField(
        _("联系人"), max_length=64, blank=True, validators=[one_line_text]
    )
    contact_phone = models.CharField(
        _("联系电话"), max_length=32, blank=True, validators=[phone_validator]
    )
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("认证人"),
    )
    # A committee suspends a firm as a whole (its capabilities leave the list; it cannot
    # publish new ones) until it is reinstated.
    # What a committee checked of the firm's own claims: the certifications (资质) it holds and
    # how many pilots one of its capabilities can run at once. Matching trusts only these;
    # declared values beyond them are shown as self-declared.
    verified_certifications = models.JSONField(_("已核验资质"), default=list, blank=True)
    verified_capacity = models.PositiveSmallIntegerField(_("已核验承接能力"), null=True, blank=True)
    certified_at = models.DateTimeField(_("资质核验时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    suspension_reason = models.CharField(_("暂停理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    related: "models.ManyToManyField[Organization, OrganizationRelation]" = models.ManyToManyField(
        "self",
        through="OrganizationRelation",
        symmetrical=False,
        related_name="related_to",
        blank=True,
    )

    class Meta:
        db_table = "scenarios_organization"
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="firm") | Q(credit_code__isnull=False),
                name="organization_firm_has_credit_code",
            ),
            models.UniqueConstraint(
                fields=["kind", "name"],
                condition=~Q(kind="firm"),
                name="organization_unique_name_per_kind",
                # what a form shows (Django's default names the constraint)
                violation_error_message=_("已有同名的同类单位。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The field's own message before the check constraint's, which names the constraint.
        if self.kind == OrganizationKind.FIRM and not self.credit_code:
            raise ValidationError({"credit_code": _("企业必须填写统一社会信用代码。")})

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class OrganizationRelation(models.Model):
    """A declared relation between two organizations (e.g. a firm owned by an agency).

    Matching treats a declared relation as a conflict of interest in both directions.
    """

    class Kind(models.TextChoices):
        AFFILIATE = "affiliate", _("隶属/下属")
        INVESTMENT = "investment", _("投资/持股")
        PERSONNEL = "personnel", _("人员关联")
        OTHER = "other", _("其他关联")

    from_org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("组织")
    )
    to_org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("关联组织")
    )
    kind = models.CharField(_("关联类型"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        db_table = "scenarios_organizationrelation"
        verbose_name = _("关联关系")
        verbose_name_plural = _("关联关系")
        constraints = [
            models.UniqueConstraint(fields=["from_org", "to_org"], name="org_relation_unique"),
            models.CheckConstraint(
                condition=~Q(from_org=F("to_org")), name="org_relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_org} → {self.to_org}"


class Membership(models.Model):
    """A user's role in one organization; the role must fit the organization's kind."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("用户"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("组织")
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        db_table = "scenarios_membership"
        verbose_name = _("成员角色")
        verbose_name_plural = _("成员角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


class Committee(models.Model):
    """场景应用创新工作委员会: one per region of the home province; tier = region level."""

    region = models.OneToOneField(
        "reference.Region",
        on_delete=models.PROTECT,
        related_name="committee",
        verbose_name=_("辖区"),
    )
    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="committee", verbose_name=_("组织")
    )
    tier = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)

    class Meta:
        db_table = "scenarios_committee"
        verbose_name = _("工作委员会")
        verbose_name_plural = _("工作委员会")
        ordering = ["region_id"]

    def __str__(self) -> str:
        return self.organization.name


class Invitation(models.Model):
    """An admin's invitation for a person to join an organization with a role."""

    email = models.EmailField(_("邮箱"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("组织")
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("邀请人"),
    )
    expires_at = models.DateTimeField(_("过期时间"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("接受的用户"),
    )
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)

    class Meta:
        db_table = "scenarios_invitation"
        verbose_name = _("邀请")
        verbose_name_plural = _("邀请")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}（{self.get_role_display()}）"
