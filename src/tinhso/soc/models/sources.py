"""Log sources, the events they sent in one normalised schema, and what could not be read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    SYSLOG = "syslog", _("syslog")
    JSON_HTTP = "json_http", _("JSON lines over HTTP")
    EVTX = "evtx", _("Windows event log files (EVTX)")


class LogSource(models.Model):
    """One host of one agency that sends logs, with how long its events are kept.

    Syslog messages find their source by the sending host name (or address when the message
    names none); JSON lines over HTTP by the source's own key, of which only the SHA-256 is
    stored.
    """

    agency = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        related_name="log_sources",
        verbose_name=_("agency"),
    )
    host = models.CharField(_("host"), max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices)
    key_prefix = models.CharField(_("key prefix"), max_length=16, blank=True, db_index=True)
    key_hash = models.CharField(max_length=64, blank=True, editable=False)
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        default=180,
        help_text=_("Events older than this are deleted by `tinhso soc purge`."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)

    class Meta:
        verbose_name = _("log source")
        verbose_name_plural = _("log sources")
        ordering = ["agency__code", "host"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "host", "kind"], name="soc_source_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.host} ({self.get_kind_display()})"


class SecurityEvent(models.Model):
    """One log record in the common schema, with the original record kept beside it.

    ``fields`` contains the flat fields the detection engine matches (EventID, Channel, Computer,
    Image, TargetUserName, ...). ``digest`` is the SHA-256 of the source and the original
    record, so a record delivered twice (at-least-once delivery) is stored once.
    """

    source = models.ForeignKey(
        LogSource, on_delete=models.CASCADE, related_name="events", verbose_name=_("source")
    )
    time = models.DateTimeField(_("time"), db_index=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    host = models.CharField(_("host"), max_length=255, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=255, blank=True)
    event_id = models.CharField(_("event ID"), max_length=32, blank=True)
    provider = models.CharField(_("provider"), max_length=255, blank=True)
    user = models.CharField(_("user"), max_length=255, blank=True, db_index=True)
    source_ip = models.CharField(_("source address"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)
    fields = models.JSONField(_("fields"), default=dict)
    original = models.JSONField(_("original record"), default=dict)
    digest = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["source", "time"], name="soc_event_source_time"),
            models.Index(fields=["event_id", "time"], name="soc_event_id_time"),
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.channel}/{self.event_id} {self.time:%Y-%m-%d %H:%M:%S}"


class LogQuarantine(models.Model):
    """A message or record that could not be read, kept whole with the reason.

    ``digest`` is the SHA-256 of the source, the transport and the original data (see
    ``tinhso.soc.collect.store.quarantine``), so input that is sent again is quarantined once.
    Rows written elsewhere may leave it empty, and the constraint ignores empty digests.
    """

    source = models.ForeignKey(
        LogSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quarantine",
        verbose_name=_("source"),
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    transport = models.CharField(_("transport"), max_length=16)
    peer = models.CharField(_("sender"), max_length=255, blank=True)
    position = models.CharField(
        _("position"), max_length=500, blank=True, help_text=_("File and record, or line number.")
    )
    code = models.CharField(_("error code"), max_length=64, db_index=True)
    reason = models.TextField(_("reason"))
    raw = models.TextField(_("original data"), blank=True)
    digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("quarantined log record")
        verbose_name_plural = _("log quarantine")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest"],
                condition=~models.Q(digest=""),
                name="soc_quarantine_digest_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transport} {self.code} {self.received_at:%Y-%m-%d %H:%M:%S}"
