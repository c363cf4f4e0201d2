"""Registering log sources and finding the source of a syslog message."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.errors import TinhsoError
from tinhso.core.models import AuditAction, Department
from tinhso.soc.collect.keys import set_new_key
from tinhso.soc.models import LogSource, SourceKind

logger = logging.getLogger(__name__)


class SourceError(TinhsoError):
    code = "invalid_log_source"


@dataclass(frozen=True)
class Registered:
    """A new source; ``raw_key`` (JSON lines over HTTP only) is shown once and never stored."""

    source: LogSource
    raw_key: str = ""


def find_agency(code: str) -> Department:
    try:
        return Department.objects.get(code=code)
    except Department.DoesNotExist:
        raise SourceError(
            _(
                "Agency %(code)s not found. Known agency codes: %(known)s. An administrator "
                "creates agencies in the admin site (/admin/), under Departments."
            )
            % {
                "code": code,
                "known": ", ".join(Department.objects.values_list("code", flat=True)[:30]) or "-",
            }
        ) from None


def register_source(
    agency: Department,
    host: str,
    kind: str,
    *,
    name: str = "",
    retention_days: int | None = None,
) -> Registered:
    """Create a log source and audit it; a JSON-lines source gets its key here."""
    host = host.strip()
    if not host:
        raise SourceError(_("The host name is empty; give the name or address the logs come from."))
    if kind not in SourceKind.values:
        raise SourceError(
            _("Unknown source kind %(kind)s; use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(SourceKind.values)}
        )
    if LogSource.objects.filter(agency=agency, host__iexact=host, kind=kind).exists():
        raise _duplicate(agency, host, kind)
    source = LogSource(agency=agency, host=host[:255], kind=kind, name=name[:200])
    if retention_days is not None:
        if retention_days < 1:
            raise SourceError(_("The retention must be at least 1 day."))
        source.retention_days = retention_days
    raw_key = set_new_key(source) if kind == SourceKind.JSON_HTTP else ""
    try:
        with transaction.atomic():
            source.save()
            audit.record(AuditAction.CREATE, source, after=audit.snapshot(source))
    except IntegrityError:
        raise _duplicate(agency, host, kind) from None
    logger.info("Log source %s registered: %s %s of %s", source.pk, kind, host, agency.code)
    return Registered(source, raw_key)


def _duplicate(agency: Department, host: str, kind: str) -> SourceError:
    return SourceError(
        _("Agency %(agency)s already has a %(kind)s source for host %(host)s.")
        % {"agency": agency.code, "kind": kind, "host": host}
    )


def find_by_host(host: str, kind: str | None = None) -> QuerySet[LogSource]:
    sources = LogSource.objects.select_related("agency").filter(host__iexact=host)
    return sources.filter(kind=kind) if kind else sources


def syslog_source(hostname: str, address: str) -> LogSource | None:
    """Return the syslog source named by ``hostname``, else the one registered by ``address``.

    Disabled sources are returned too, so the caller can say why their messages are held.
    When several agencies registered the same host, the oldest source wins.
    """
    sources = LogSource.objects.filter(kind=SourceKind.SYSLOG).order_by("-enabled", "id")
    if hostname:
        found = sources.filter(host__iexact=hostname).first()
        if found is not None:
            return found
    if address:
        return sources.filter(host__iexact=address).first()
    return None
