"""Alerts raised by detection and the incidents analysts work them in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    """Sigma's levels, lowest first; the order is the order of ``RANK``."""

    INFORMATIONAL = "informational", _("informational")
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class AlertKind(models.TextChoices):
    SIGMA = "sigma", _("Sigma rule")
    CORRELATION = "correlation", _("Sigma correlation rule")
    ANOMALY = "anomaly", _("anomaly")
    INTEL = "intel", _("threat intelligence match")


class IncidentStatus(models.TextChoices):
    NEW = "new", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


class Resolution(models.TextChoices):
    TRUE_POSITIVE = "true_positive", _("true positive, handled")
    FALSE_POSITIVE = "false_positive", _("false positive")
    BENIGN = "benign", _("benign, expected activity")
    DUPLICATE = "duplicate", _("duplicate of another incident")


class Incident(models.Model):
    """Alerts of one host, user and rule within one time window, worked as one case.

    MTTA runs from ``created_at`` to ``acknowledged_at`` and MTTR from ``created_at`` to
    ``resolved_at``.
    """

    title = models.CharField(_("title"), max_length=300)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    agency = models.ForeignKey(
        "core.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
    )
    host = models.CharField(_("host"), max_length=255, blank=True, db_index=True)
    user = models.CharField(_("user"), max_length=255, blank=True)
    rule_id = models.CharField(_("rule"), max_length=100, blank=True, db_index=True)
    tags = models.JSONField(_("ATT&CK tags"), default=list, blank=True)
    first_seen = models.DateTimeField(_("first event"))
    last_seen = models.DateTimeField(_("last event"))
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=16, choices=Resolution.choices, blank=True
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "severity"], name="soc_incident_status"),
            models.Index(fields=["host", "user", "rule_id", "last_seen"], name="soc_incident_key"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class Alert(models.Model):
    """One detection: a rule, anomaly or intelligence match on one or more events.

    A detection seen again (same ``dedup_key``) raises ``count`` and ``last_seen`` of the
    existing alert instead of adding a row.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    rule_id = models.CharField(_("rule"), max_length=100, db_index=True)
    title = models.CharField(_("title"), max_length=300)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    tags = models.JSONField(_("ATT&CK tags"), default=list, blank=True)
    source = models.ForeignKey(
        "soc.LogSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("source"),
    )
    agency = models.ForeignKey(
        "core.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
    )
    host = models.CharField(_("host"), max_length=255, blank=True, db_index=True)
    user = models.CharField(_("user"), max_length=255, blank=True)
    events = models.ManyToManyField(
        "soc.SecurityEvent", related_name="alerts", blank=True, verbose_name=_("events")
    )
    explanation = models.JSONField(
        _("explanation"),
        default=dict,
        blank=True,
        help_text=_("For anomalies: the baseline, the observed value and how far apart they are."),
    )
    first_seen = models.DateTimeField(_("first event"), db_index=True)
    last_seen = models.DateTimeField(_("last event"))
    count = models.PositiveIntegerField(_("times seen"), default=1)
    dedup_key = models.CharField(max_length=64, unique=True, editable=False)
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("incident"),
    )
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-first_seen", "-id"]

    def __str__(self) -> str:
        return f"{self.severity} {self.title}"


class IncidentNote(models.Model):
    """An entry in an incident's activity log: a comment or a change an analyst made."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="notes", verbose_name=_("incident")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    action = models.CharField(_("action"), max_length=32, default="comment")
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident note")
        verbose_name_plural = _("incident notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"


class IncidentEvidence(models.Model):
    """A file an analyst attached to an incident, with its SHA-256 for the chain of custody."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("incident")
    )
    file = models.FileField(_("file"), upload_to="soc/evidence/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.name}"
