"""Matching runs, their scored pairs, cached tokens and the review of recommendations."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _


class RunScope(models.TextChoices):
    FULL = "full", _("全量")
    NEED = "need", _("单个需求")
    CAPABILITY = "capability", _("单个能力")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


FINISHED_STATUSES = (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class MatchRun(models.Model):
    """One matching job (匹配批次): which needs it rescored, under which policy version.

    Progress is ``processed`` of ``total`` needs. A full run fans out in chunks
    (``MatchRunChunk``); the run finishes when its last chunk is done. The policy version
    is kept so a run's scores stay reproducible after the policy changes.
    """

    scope = models.CharField(_("范围"), max_length=16, choices=RunScope.choices)
    target_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    policy = models.ForeignKey(
        "scenarios.PolicyVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("政策版本"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    total = models.PositiveIntegerField(_("需求总数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    chunk_count = models.PositiveIntegerField(_("分片数"), default=0)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    timings = models.JSONField(_("耗时（秒）"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("匹配批次")
        verbose_name_plural = _("匹配批次")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="full", target_id__isnull=True)
                | (~Q(scope="full") & Q(target_id__isnull=False)),
                name="matchrun_target_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.scope} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class MatchRunChunk(models.Model):
    """A slice of a run's needs scored by one task; ``done`` makes a redelivery a no-op."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    need_ids = models.JSONField()
    done = models.BooleanField(default=False)
    # need id → [removed by the negative list, removed as conflicts of interest]
    excluded = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("批次分片")
        verbose_name_plural = _("批次分片")
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="matchrunchunk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.number}"


class NeedCurrentRun(models.Model):
    """Which run's rows are a need's current matches: one pointer per need.

    Finishing a run moves the pointers of the needs it scored, so making half a million new
    rows current is an upsert of ten thousand pointers, not a rewrite of every old and new
    row. Older runs' rows stay as history, readable with ``?run=``.
    """

    need = models.OneToOneField(
        "scenarios.ScenarioNeed",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="current_match_run",
        verbose_name=_("需求"),
    )
    run = models.ForeignKey(
        MatchRun, on_delete=models.CASCADE, related_name="+", verbose_name=_("当前批次")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("当前匹配批次")
        verbose_name_plural = _("当前匹配批次")

    def __str__(self) -> str:
        return f"{self.need_id} → {self.run_id}"


def is_current_q() -> Exists:
    """The condition "this Match row belongs to its need's current run"."""
    return Exists(
        NeedCurrentRun.objects.filter(need_id=OuterRef("need_id"), run_id=OuterRef("run_id"))
    )


class MatchQuerySet(models.QuerySet["Match"]):
    def with_current(self) -> "MatchQuerySet":
        """Annotate ``is_current``: the row belongs to its need's current run."""
        return self.annotate(is_current=is_current_q())

    def current(self) -> "MatchQuerySet":
        """Only the rows of each need's current run."""
        return self.filter(is_current_q())


class Match(models.Model):
    """One scored (need, capability) pair of a run, with the explanation of its score.

    ``breakdown`` holds each feature in [0, 1], the weights used, and the matched keywords;
    the weighted sum of the features equals ``score``. ``recommended`` marks the pairs the
    quota-constrained pairing chose; the others are "other strong candidates". A need's
    current rows are those of the run its ``NeedCurrentRun`` points to (``.current()``).
    """

    # Indexes are declared in Meta only (match_unique leads with run, match_need_run with
    # need): every extra index slows the 500,000-row writes of a full run (docs/benchmarks.md).
    # No database foreign keys either: their per-row checks at each chunk's commit took
    # ~8.6 s of a full run. Deleting a run, need or capability still deletes its rows (the
    # ORM's cascade), and a run's finish step deletes, in one statement, any row whose
    # need or capability went away while the run was writing, before its rows are shown
    # (``results.match_run_finish``).
    run = models.ForeignKey(
        MatchRun,
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    need = models.ForeignKey(
        "scenarios.ScenarioNeed",
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    capability = models.ForeignKey(
        "scenarios.Capability",
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    firm_id = models.BigIntegerField(_("企业"))
    score = models.FloatField(_("匹配得分"))
    rank = models.PositiveIntegerField(_("排名"))
    recommended = models.BooleanField(_("推荐"), default=False)
    breakdown = models.JSONField(_("得分解释"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("撮合结果")
        verbose_name_plural = _("撮合结果")
        ordering = ["need_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "need", "capability"], name="match_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="match_score_0_1"
            ),
        ]
        indexes = [
            models.Index(fields=["need", "run"], name="match_need_run"),
            models.Index(fields=["capability"], name="match_capability"),
            models.Index(fields=["firm_id", "recommended"], name="match_firm_recommended"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id}×{self.capability_id} {self.score:.3f}"


class DocumentTokens(models.Model):
    """Cached analyzer tokens of a need or capability text.

    Re-segmented only when the text hash or the analyzer fingerprint changes, so a full
    run reads tokens instead of running jieba over every document again.
    """

    class Kind(models.TextChoices):
        NEED = "need", _("需求")
        CAPABILITY = "capability", _("能力")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    text_hash = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    tokens = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("分词缓存")
        verbose_name_plural = _("分词缓存")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="doctokens_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"


class FirmResponse(models.TextChoices):
    NONE = "", _("未答复")
    INTERESTED = "interested", _("有意向")
    DECLINED = "declined", _("不感兴趣")


class PairDecision(models.TextChoices):
    """A committee's decision on a recommended (need, capability) pair."""

    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准（进入试点）")
    REJECTED = "rejected", _("已驳回")


class PairReview(models.Model):
    """What people decided about a recommended pair; it outlives the runs that scored it.

    The firm expresses interest or declines; the agency shortlists; a committee member of
    the need's jurisdiction or an admin approves (which starts a pilot) or rejects.
    """

    need = models.ForeignKey(
        "scenarios.ScenarioNeed", on_delete=models.CASCADE, related_name="pair_reviews"
    )
    capability = models.ForeignKey(
        "scenarios.Capability", on_delete=models.CASCADE, related_name="pair_reviews"
    )
    firm_response = models.CharField(
        _("企业意向"), max_length=16, choices=FirmResponse.choices, blank=True
    )
    firm_note = models.CharField(_("企业说明"), max_length=500, blank=True)
    shortlisted = models.BooleanField(_("需求单位入围"), default=False)
    decision = models.CharField(
        _("审批"), max_length=16, choices=PairDecision.choices, default=PairDecision.PENDING
    )
    decision_reason = models.CharField(_("审批意见"), max_length=500, blank=True)
    pilot_id = models.BigIntegerField(_("试点"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("撮合审核")
        verbose_name_plural = _("撮合审核")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["need", "capability"], name="pairreview_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id}×{self.capability_id} {self.decision}"


class AnalyzerDictionary(models.Model):
    """A snapshot of the lists' keywords that the analyzer adds to its dictionary.

    Full runs refresh it; incremental runs reuse the latest, so one new keyword does not
    force every cached token to be segmented again.
    """

    words = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("分词词典快照")
        verbose_name_plural = _("分词词典快照")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} ({len(self.words)} words)"
