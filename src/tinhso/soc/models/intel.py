"""Threat-intelligence indicators: addresses, domains and file hashes to look for in events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorKind(models.TextChoices):
    IPV4 = "ipv4", _("IPv4 address")
    IPV6 = "ipv6", _("IPv6 address")
    DOMAIN = "domain", _("domain name")
    URL = "url", _("URL")
    MD5 = "md5", _("MD5 hash")
    SHA1 = "sha1", _("SHA-1 hash")
    SHA256 = "sha256", _("SHA-256 hash")


class IntelFeed(models.Model):
    """One imported list or STIX 2.1 bundle; importing it again replaces its indicators."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    format = models.CharField(_("format"), max_length=16)
    source_name = models.CharField(_("file"), max_length=500, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now=True)
    indicator_count = models.PositiveIntegerField(_("indicator count"), default=0)

    class Meta:
        verbose_name = _("threat-intelligence feed")
        verbose_name_plural = _("threat-intelligence feeds")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ThreatIndicator(models.Model):
    """One value to look for, normalised (lower case, hashes in hex) so lookups are exact."""

    feed = models.ForeignKey(
        IntelFeed, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("feed")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=IndicatorKind.choices)
    value = models.CharField(_("value"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(_("severity"), max_length=16, default="high")
    stix_id = models.CharField(_("STIX id"), max_length=120, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    tags = models.JSONField(
        _("tags"),
        default=list,
        blank=True,
        help_text=_("STIX labels, kill-chain phases and ATT&CK techniques, given to matches."),
    )

    class Meta:
        verbose_name = _("threat indicator")
        verbose_name_plural = _("threat indicators")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "kind", "value"], name="soc_indicator_unique"),
        ]
        indexes = [models.Index(fields=["kind", "value"], name="soc_indicator_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
