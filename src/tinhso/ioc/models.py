"""The IOC data core: indicators, their values per unit and period, targets, rules and events.

The model follows the aggregate model of national statistics and DHIS2: an indicator is
measured for an administrative unit and a period, optionally broken down by a
disaggregation ("sex=female"), and each value keeps its source and every correction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import UnitLevel
from tinhso.ioc.periods import PeriodType


class Aggregation(models.TextChoices):
    SUM = "sum", _("sum")
    MEAN = "mean", _("mean")
    WEIGHTED_MEAN = "weighted_mean", _("weighted mean")
    LAST = "last", _("last value")
    MAX = "max", _("maximum")


class ValueType(models.TextChoices):
    NUMBER = "number", _("number")
    INTEGER = "integer", _("whole number")
    PERCENT = "percent", _("percentage")
    INDEX = "index", _("index (previous period = 100)")


PERIOD_TYPE_CHOICES = [
    (PeriodType.DAY.value, _("day")),
    (PeriodType.WEEK.value, _("week")),
    (PeriodType.MONTH.value, _("month")),
    (PeriodType.QUARTER.value, _("quarter")),
    (PeriodType.HALF_YEAR.value, _("half-year")),
    (PeriodType.NINE_MONTHS.value, _("nine months")),
    (PeriodType.YEAR.value, _("year")),
    (PeriodType.REPORT_MONTH.value, _("reporting month")),
    (PeriodType.REPORT_HALF_YEAR.value, _("reporting half-year")),
    (PeriodType.REPORT_NINE_MONTHS.value, _("reporting nine months")),
    (PeriodType.REPORT_YEAR.value, _("reporting year")),
]


class IndicatorGroup(models.Model):
    """A set of indicators reported together (a sector, a GSO table, a form), with one import template."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("Vietnamese name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    sector = models.CharField(_("sector"), max_length=80, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        ordering = ["sector", "code"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """A measured quantity (chỉ tiêu) with its unit of measure and rules of aggregation."""

    code = models.CharField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("Vietnamese name"), max_length=400)
    name_en = models.CharField(_("English name"), max_length=400, blank=True)
    group = models.ForeignKey(
        IndicatorGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("group"),
    )
    unit_of_measure = models.CharField(_("unit of measure"), max_length=80, blank=True)
    value_type = models.CharField(
        _("value type"), max_length=16, choices=ValueType.choices, default=ValueType.NUMBER
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=1)
    aggregation = models.CharField(
        _("aggregation over units"),
        max_length=16,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
    )
    time_aggregation = models.CharField(
        _("aggregation over time"),
        max_length=16,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
    )
    weight_indicator = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("weight indicator"), help_text=_("Weights of a weighted mean, e.g. population."),
    )  # fmt: skip
    periodicity = models.CharField(
        _("periodicity"), max_length=24, choices=PERIOD_TYPE_CHOICES, default=PeriodType.YEAR.value
    )
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="indicators",
        verbose_name=_("owning department"),
    )  # fmt: skip
    national_code = models.CharField(
        _("national indicator code"), max_length=40, blank=True,
        help_text=_("Code in the national statistical indicator system (Decision 293/QĐ-TTg)."),
    )  # fmt: skip
    dimensions = models.JSONField(
        _("disaggregations"), default=list, blank=True,
        help_text=_("Dimensions a value may be broken down by, e.g. [\"sex\", \"sector\"]."),
    )  # fmt: skip
    formula = models.TextField(
        _("formula"), blank=True,
        help_text=_("For derived indicators: an expression over {CODE} references, e.g. {A} / {B} * 100."),
    )  # fmt: skip
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=400, blank=True)
    min_value = models.FloatField(_("minimum plausible value"), null=True, blank=True)
    max_value = models.FloatField(_("maximum plausible value"), null=True, blank=True)
    max_growth_percent = models.FloatField(
        _("maximum plausible change (%)"), null=True, blank=True,
        help_text=_("A value that changes by more than this against the previous period is flagged."),
    )  # fmt: skip
    deadline_day = models.PositiveSmallIntegerField(
        _("submission deadline (day of the following period)"), null=True, blank=True,
        help_text=_("Monthly values are due by this day of the next month; daily values by the deadline time."),
    )  # fmt: skip
    deadline_time = models.TimeField(_("submission deadline (time of day)"), null=True, blank=True)
    reporting_level = models.PositiveSmallIntegerField(
        _("reporting level"), choices=UnitLevel.choices, default=UnitLevel.PROVINCE,
        help_text=_("Which units submit values: the province itself, or each commune."),
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(max_value__gte=models.F("min_value")),
                name="indicator_range_ordered",
                violation_error_message=_("The maximum plausible value is below the minimum."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_derived(self) -> bool:
        return bool(self.formula.strip())

    @property
    def display_name(self) -> str:
        """Name in the active language: the English name when English is active and one is set."""
        if self.name_en and get_language() == "en":
            return self.name_en
        return self.name


class ValueStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")


class SourceKind(models.TextChoices):
    IMPORT = "import", _("file import")
    API = "api", _("API")
    MQTT = "mqtt", _("MQTT stream")
    USER = "user", _("entered by a user")
    DERIVED = "derived", _("computed by the platform")


class DataValue(models.Model):
    """The value of an indicator for a unit, a period and a disaggregation, with its provenance.

    Every correction is kept in :class:`DataValueVersion`; ``version`` counts them.
    """

    # The unique constraint and Meta.indexes lead with indicator and unit, and imports leave
    # the key and user columns empty, so single-column foreign-key indexes would only slow
    # down bulk writes.
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="values",
        verbose_name=_("indicator"),
        db_index=False,
    )
    unit = models.ForeignKey(
        "core.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
        db_index=False,
    )
    period = models.CharField(_("period"), max_length=16)
    period_type = models.CharField(_("period type"), max_length=24, choices=PERIOD_TYPE_CHOICES)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    disaggregation = models.CharField(_("disaggregation"), max_length=200, blank=True, default="")
    value = models.FloatField(_("value"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ValueStatus.choices, default=ValueStatus.DRAFT
    )
    source_kind = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    source_detail = models.CharField(_("source detail"), max_length=400, blank=True)
    batch = models.ForeignKey(
        "ingest.ImportBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import batch"),
    )
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    api_key = models.ForeignKey(
        "api.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    topic = models.CharField(_("MQTT topic"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
        db_index=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        db_index=False,
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    scope_unit_field = "unit"
    scope_department_field = "indicator__department"

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period", "disaggregation"],
                name="datavalue_one_per_cell",
                violation_error_message=_(
                    "A value for this indicator, unit, period and disaggregation exists already."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "period_start"], name="datavalue_indicator_start"),
            models.Index(fields=["unit", "period_start"], name="datavalue_unit_start"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.indicator_id} {self.unit_id} {self.period} {self.disaggregation}: {self.value}"
        )


class ReceivedKey(models.Model):
    """An idempotency key already stored, so that a redelivered value or message is skipped.

    Kept apart from the values because a later correction must not make an earlier
    message look new again when the broker redelivers it.
    """

    key = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("received idempotency key")
        verbose_name_plural = _("received idempotency keys")

    def __str__(self) -> str:
        return self.key


class DataValueVersion(models.Model):
    """A superseded state of a DataValue: who changed it, when, why and on which document."""

    data_value = models.ForeignKey(DataValue, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    value = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ValueStatus.choices)
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices)
    source_detail = models.CharField(max_length=400, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.CharField(max_length=150, blank=True)
    document = models.CharField(_("document"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("data value version")
        verbose_name_plural = _("data value versions")
        ordering = ["data_value", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["data_value", "version"], name="datavalueversion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.data_value_id} v{self.version}: {self.value}"


class Target(models.Model):
    """A plan target (chỉ tiêu kế hoạch) for an indicator, a unit and a year, with its resolution."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("target value"))
    # Some targets are floors (growth at least 7%), others ceilings (poverty rate at most 2%).
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    document = models.CharField(
        _("document"), max_length=300, blank=True,
        help_text=_("The People's Council resolution that sets the target."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "year"], name="target_one_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.unit_id} {self.year}: {self.value}"


class Event(models.Model):
    """Something that happened at a time and place: a sensor reading out of range, a field report,
    a camera or security event. Events feed the IOC's live feed."""

    event_type = models.CharField(_("event type"), max_length=80, db_index=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    topic = models.CharField(_("MQTT topic"), max_length=300, blank=True)
    message_id = models.CharField(max_length=200, null=True, blank=True, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.occurred_at:%Y-%m-%d %H:%M}"
