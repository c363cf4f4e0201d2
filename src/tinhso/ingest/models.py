"""Import batches and the quarantine of rows an import could not accept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    PARTIAL = "partial", _("succeeded with rejected rows")
    FAILED = "failed", _("failed")


class ImportBatch(models.Model):
    """One run of an importer over one file: what came in, what was kept, what was rejected."""

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    source_name = models.CharField(_("file"), max_length=500)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.RUNNING
    )
    rows_total = models.PositiveIntegerField(_("rows read"), default=0)
    rows_accepted = models.PositiveIntegerField(_("rows accepted"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.source_name}"


class QuarantineRecord(models.Model):
    """A row or feature that an import rejected, kept whole with the reason and the fix."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="quarantine", verbose_name=_("batch")
    )
    position = models.CharField(
        _("position"),
        max_length=500,
        help_text=_("Row number, feature index or MQTT topic and message id."),
    )
    field = models.CharField(_("field"), max_length=100, blank=True)
    code = models.CharField(_("error code"), max_length=64, db_index=True)
    message = models.TextField(_("message"))
    raw = models.JSONField(_("original data"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("quarantined record")
        verbose_name_plural = _("quarantine")
        ordering = ["batch", "id"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.position} {self.code}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """A file import started from the web interface and run by the in-process worker.

    The page of the job polls ``done``/``total`` for its progress bar and shows the report
    when the job ends.
    """

    kind = models.CharField(_("kind"), max_length=64)
    file_name = models.CharField(_("file"), max_length=300)
    stored_path = models.CharField(max_length=500)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return (
            int(self.done * 100 / self.total)
            if self.total
            else (100 if self.status == JobStatus.DONE else 0)
        )
