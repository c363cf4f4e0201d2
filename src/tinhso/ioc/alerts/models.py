"""Alert rules, the alerts they raise, and leaders' directives (chỉ đạo) with their progress.

A rule watches an indicator (a threshold or a seasonal anomaly) or an event stream. When it
fires, an :class:`Alert` is opened for the rule, the unit and the period. A partial unique
index keeps at most one alert per rule, unit and period open at a time. Every
action on an alert is kept in :class:`AlertActivity`. A :class:`Directive` is a leader's
instruction to a department, with a deadline and the department's progress reports.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("threshold")
    ANOMALY = "anomaly", _("seasonal anomaly")
    EVENT = "event", _("event stream")


class Comparison(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"


class Severity(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class AnomalyDirection(models.TextChoices):
    BOTH = "both", _("above or below")
    ABOVE = "above", _("above only")
    BELOW = "below", _("below only")


class AlertRule(models.Model):
    """A condition that raises alerts: a threshold, a seasonal anomaly or a count of events."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    indicator = models.ForeignKey(
        "ioc.Indicator", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("indicator"),
    )  # fmt: skip
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit"),
        help_text=_("Leave empty to watch every unit."),
    )  # fmt: skip
    comparison = models.CharField(
        _("comparison"), max_length=4, choices=Comparison.choices, blank=True
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    anomaly_score = models.FloatField(
        _("anomaly score threshold"), default=3.5,
        help_text=_("How many robust standard deviations from the expectation count as an anomaly."),
    )  # fmt: skip
    direction = models.CharField(
        _("direction"), max_length=8, choices=AnomalyDirection.choices,
        default=AnomalyDirection.BOTH,
    )  # fmt: skip
    min_history_years = models.PositiveSmallIntegerField(
        _("minimum years of history"), default=3,
        help_text=_("Earlier years of the same month or quarter needed before a value is scored."),
    )  # fmt: skip
    event_type = models.CharField(_("event type"), max_length=80, blank=True, db_index=True)
    event_severity = models.CharField(
        _("event severity"), max_length=16, blank=True,
        help_text=_("Leave empty to count events of every severity."),
    )  # fmt: skip
    event_count = models.PositiveIntegerField(
        _("number of events"), default=1,
        help_text=_("The alert is raised when this many events occur within the window."),
    )  # fmt: skip
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM
    )
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("responsible department"),
        help_text=_("Receives the alerts; empty means the indicator's owning department."),
    )  # fmt: skip
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    # Counts and the reason of the last evaluation, rendered by views in the reader's language.
    last_status = models.JSONField(_("last status"), default=dict, blank=True)

    scope_unit_field = "unit"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["indicator", "active"], name="alertrule_indicator_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def watches_values(self) -> bool:
        return self.kind in {RuleKind.THRESHOLD, RuleKind.ANOMALY}


class AlertStatus(models.TextChoices):
    NEW = "new", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)

# Anomaly scores are stored clamped to ± this value. A clamped score is an infinite one,
# which a history without spread gives to any change.
MAX_STORED_SCORE = 1e9


class Alert(models.Model):
    """A rule that fired for a unit and a period, and what people did about it."""

    rule = models.ForeignKey(
        AlertRule, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("rule")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    indicator = models.ForeignKey(
        "ioc.Indicator", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("indicator"),
    )  # fmt: skip
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit"),
    )  # fmt: skip
    # A period code of ioc.periods; the local day of the triggering event for event rules.
    period = models.CharField(_("period"), max_length=16)
    # Rule, unit and period in one string, so that the open-alert index also covers no unit.
    dedup_key = models.CharField(max_length=120, editable=False)
    value = models.FloatField(_("value"), null=True, blank=True)
    # The rule's comparison and threshold when the alert was raised; the rule may change later.
    comparison = models.CharField(
        _("comparison"), max_length=4, choices=Comparison.choices, blank=True
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    expected = models.FloatField(_("expected value"), null=True, blank=True)
    score = models.FloatField(_("anomaly score"), null=True, blank=True)
    event_count = models.PositiveIntegerField(_("number of events"), default=0)
    first_event_at = models.DateTimeField(_("first event"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    message = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.NEW,
        db_index=True,
    )  # fmt: skip
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department"),
    )  # fmt: skip
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("assigned to"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("raised"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    scope_unit_field = "unit"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=["new", "acknowledged"]),
                name="alert_one_open_per_rule_unit_period",
            )
        ]
        indexes = [models.Index(fields=["rule", "period"], name="alert_rule_period")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.unit_id or '-'} {self.period}: {self.get_status_display()}"

    @staticmethod
    def make_dedup_key(rule_id: int, unit_id: int | None, period: str) -> str:
        return f"{rule_id}:{unit_id or '-'}:{period}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ActivityAction(models.TextChoices):
    CREATED = "created", _("alert raised")
    UPDATED = "updated", _("new data")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ASSIGNED = "assigned", _("assigned")
    NOTE = "note", _("note")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


class AlertActivity(models.Model):
    """One action on an alert: who, when, what, and the note they left."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="activities")
    action = models.CharField(_("action"), max_length=16, choices=ActivityAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("user"),
    )  # fmt: skip
    actor_name = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("alert activity")
        verbose_name_plural = _("alert activities")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action} {self.actor_name}"


class DirectiveStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CLOSED = "closed", _("closed")


class Directive(models.Model):
    """A leader's directive (chỉ đạo) to a department about an alert or an indicator."""

    title = models.CharField(_("title"), max_length=300)
    content = models.TextField(_("content"))
    alert = models.ForeignKey(
        Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="directives",
        verbose_name=_("alert"),
    )  # fmt: skip
    indicator = models.ForeignKey(
        "ioc.Indicator", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("indicator"),
    )  # fmt: skip
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit"),
    )  # fmt: skip
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("assigned department"),
    )  # fmt: skip
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=DirectiveStatus.choices, default=DirectiveStatus.NEW,
        db_index=True,
    )  # fmt: skip
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("issued by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    done_at = models.DateTimeField(_("reported done"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("closed by"),
    )  # fmt: skip
    closing_note = models.TextField(_("closing note"), blank=True)

    scope_unit_field = "unit"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(alert__isnull=False) | Q(indicator__isnull=False),
                name="directive_about_alert_or_indicator",
                violation_error_message=_("A directive concerns an alert or an indicator."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """True when the deadline has passed and the department has not reported it done."""
        today = today or timezone.localdate()
        pending = self.status in {DirectiveStatus.NEW, DirectiveStatus.IN_PROGRESS}
        return pending and self.deadline < today


class DirectiveUpdate(models.Model):
    """A progress report of the assigned department on a directive."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("author"),
    )  # fmt: skip
    author_name = models.CharField(_("by"), max_length=150)
    text = models.TextField(_("progress"))
    marks_done = models.BooleanField(_("reports the directive done"), default=False)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("directive update")
        verbose_name_plural = _("directive updates")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.directive_id} {self.author_name} {self.at:%Y-%m-%d}"
