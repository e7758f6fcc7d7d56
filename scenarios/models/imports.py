"""An upload of a list through the pages, checked and imported in the background."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("有错误")


class ImportJob(models.Model):
    """One file, checked (``dry_run``) or imported, all or nothing, by a background task.

    The file is kept with the job so a checked file is imported as it was checked; the
    row errors of a refused file are kept for its page (up to ``EXCHANGE_MAX_ERRORS``).
    Live progress is in the cache while the import's transaction is open. A running job's
    row stays locked by its runner until the import and the job's result commit together;
    a running job whose row nobody holds lost its runner (``scenarios.services.imports``).
    """

    kind = models.CharField(_("类型"), max_length=16)  # "needs" or "capabilities"
    filename = models.CharField(_("文件名"), max_length=255)
    data = models.BinaryField(_("文件"))
    publish = models.BooleanField(_("直接发布"), default=False)
    # Rows whose ref is stored update that item (else they are errors).
    update = models.BooleanField(_("按编号更新"), default=False)
    dry_run = models.BooleanField(_("仅检查"), default=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("写入条数"), default=0)
    updated = models.PositiveIntegerField(_("更新条数"), default=0)
    unchanged = models.PositiveIntegerField(_("未变条数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    organizations_created = models.JSONField(_("新建单位"), default=list, blank=True)
    checked_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Runs started (a run killed with its worker is started again, up to a limit) and when
    # the last one started.
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
