"""Log collection commands of ``tinhso soc``.

``source add|list|rotate-key`` manage log sources, ``listen`` receives syslog, ``ingest``
reads EVTX files and ``purge`` deletes what is past each source's retention.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core.models import Department
from tinhso.soc.collect import keys
from tinhso.soc.collect.evtx_ingest import ingest_files
from tinhso.soc.collect.receiver import SyslogReceiver
from tinhso.soc.collect.retention import UNASSIGNED_RETENTION_DAYS, purge
from tinhso.soc.collect.sources import SourceError, find_agency, find_by_host, register_source
from tinhso.soc.collect.syslog_sink import StoringSink
from tinhso.soc.models import LogSource, SourceKind

logger = logging.getLogger(__name__)


def _port(text: str) -> int | None:
    """Return a port number, or None for "off"; 0 lets the system pick a free port."""
    if text.lower() == "off":
        return None
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number or 'off'") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


def add_parser(actions: Any) -> None:
    _add_source_parser(actions)
    listen = actions.add_parser("listen", help="Receive syslog over UDP, TCP and TLS and store it.")
    listen.add_argument(
        "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)."
    )
    listen.add_argument(
        "--udp-port", type=_port, default=5514, help="UDP port, or 'off' (default 5514)."
    )
    listen.add_argument(
        "--tcp-port", type=_port, default=5514, help="TCP port, or 'off' (default 5514)."
    )
    listen.add_argument(
        "--tls-port",
        type=_port,
        default=None,
        help="TLS port (RFC 5425, usually 6514); needs --cert and --key.",
    )
    listen.add_argument("--cert", type=Path, help="PEM certificate (chain) of the TLS listener.")
    listen.add_argument("--key", type=Path, help="PEM private key of the TLS listener.")
    listen.add_argument(
        "--register-unknown",
        metavar="AGENCY",
        help="Register a host that no source names as a syslog source of this agency on its "
        "first message, instead of quarantining it. Any sender can claim any host name, so "
        "use it only on a trusted network.",
    )
    listen.set_defaults(run=run)

    ingest = actions.add_parser(
        "ingest", help="Store the events of EVTX files as events of one source."
    )
    ingest.add_argument(
        "paths", nargs="+", type=Path, help="EVTX files, or folders searched for .evtx files."
    )
    ingest.add_argument(
        "--source", required=True, metavar="HOST", help="Host of the evtx log source."
    )
    ingest.add_argument(
        "--agency", help="Agency code, when several agencies have a source for HOST."
    )
    ingest.set_defaults(run=run)

    purge_parser = actions.add_parser(
        "purge", help="Delete events and quarantined records older than each source's retention."
    )
    purge_parser.add_argument(
        "--dry-run", action="store_true", help="Only count what would be deleted."
    )
    purge_parser.add_argument(
        "--unassigned-days",
        type=int,
        default=UNASSIGNED_RETENTION_DAYS,
        help=f"Days to keep quarantined records of unknown senders (default {UNASSIGNED_RETENTION_DAYS}).",
    )
    purge_parser.set_defaults(run=run)


def _add_source_parser(actions: Any) -> None:
    source = actions.add_parser("source", help="Register and list log sources.")
    source_actions = source.add_subparsers(dest="source_action", required=True)
    add = source_actions.add_parser(
        "add", help="Register a log source; prints the key of a json_http source once."
    )
    add.add_argument("--agency", required=True, help="Code of the agency that owns the host.")
    add.add_argument("--host", required=True, help="Host name or address the logs come from.")
    add.add_argument(
        "--kind", required=True, choices=SourceKind.values, help="How the source sends logs."
    )
    add.add_argument("--name", default="", help="A readable name, e.g. the system the host runs.")
    add.add_argument(
        "--retention-days", type=int, default=None, help="Days to keep its events (default 180)."
    )
    source_actions.add_parser("list", help="List log sources with their last event.")
    rotate = source_actions.add_parser(
        "rotate-key", help="Replace the key of a json_http source; prints it once."
    )
    rotate.add_argument("host", help="Host of the source.")
    rotate.add_argument(
        "--agency", help="Agency code, when several agencies have a source for HOST."
    )
    source.set_defaults(run=run)


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    action = options["action"]
    if action == "source":
        {"add": _source_add, "list": _source_list, "rotate-key": _rotate_key}[
            options["source_action"]
        ](command, options)
    elif action == "listen":
        _listen(command, options)
    elif action == "ingest":
        _ingest(command, options)
    elif action == "purge":
        _purge(command, options)


# --- Sources ---------------------------------------------------------------------------------


def _source_add(command: BaseCommand, options: dict[str, Any]) -> None:
    agency = find_agency(options["agency"])
    registered = register_source(
        agency,
        options["host"],
        options["kind"],
        name=options["name"],
        retention_days=options["retention_days"],
    )
    source = registered.source
    command.stdout.write(
        _(
            "Log source %(id)s registered: %(host)s (%(kind)s) of %(agency)s, events kept %(days)s days."
        )
        % {
            "id": source.pk,
            "host": source.host,
            "kind": source.kind,
            "agency": agency.code,
            "days": source.retention_days,
        }
    )
    if registered.raw_key:
        command.stdout.write(
            _("Key (shown only now; store it in the sender): %(key)s") % {"key": registered.raw_key}
        )


def _source_list(command: BaseCommand, options: dict[str, Any]) -> None:
    sources = LogSource.objects.select_related("agency").annotate(event_count=Count("events"))
    if not sources:
        command.stdout.write(_("No log source yet. Register one with: tinhso soc source add"))
        return
    header = [
        _("Agency"),
        _("Host"),
        _("Kind"),
        _("Status"),
        _("Key prefix"),
        _("Last event"),
        _("Events"),
        _("Name"),
    ]
    command.stdout.write("\t".join(header))
    for source in sources:
        command.stdout.write(
            "\t".join(
                [
                    source.agency.code,
                    source.host,
                    source.kind,
                    _("enabled") if source.enabled else _("disabled"),
                    source.key_prefix or "-",
                    timezone.localtime(source.last_event_at).strftime("%d/%m/%Y %H:%M:%S")
                    if source.last_event_at
                    else "-",
                    str(source.event_count),
                    source.name,
                ]
            )
        )


def _one_source(host: str, agency_code: str | None, kind: str | None = None) -> LogSource:
    sources = find_by_host(host, kind)
    if agency_code:
        sources = sources.filter(agency__code=agency_code)
    found = list(sources[:2])
    if not found:
        raise CommandError(
            _("No %(kind)s log source for host %(host)s. Register it with: tinhso soc source add")
            % {"kind": kind or "", "host": host}
        )
    if len(found) > 1:
        raise CommandError(
            _("Several agencies have a source for host %(host)s; name one with --agency.")
            % {"host": host}
        )
    return found[0]


def _rotate_key(command: BaseCommand, options: dict[str, Any]) -> None:
    source = _one_source(options["host"], options["agency"], SourceKind.JSON_HTTP)
    raw_key = keys.rotate_key(source)
    command.stdout.write(
        _("New key of %(host)s (the old one no longer works; shown only now): %(key)s")
        % {"host": source.host, "key": raw_key}
    )


# --- Syslog receiver -------------------------------------------------------------------------


def _tls_context(options: dict[str, Any]) -> ssl.SSLContext | None:
    if options["tls_port"] is None:
        return None
    if not options["cert"] or not options["key"]:
        raise CommandError(_("--tls-port needs --cert and --key (PEM files)."))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(options["cert"], options["key"])
    except (OSError, ssl.SSLError) as error:
        raise CommandError(
            _("Cannot load the TLS certificate or key: %(error)s") % {"error": error}
        ) from error
    return context


def _listen(command: BaseCommand, options: dict[str, Any]) -> None:
    agency: Department | None = None
    if options["register_unknown"]:
        try:
            agency = find_agency(options["register_unknown"])
        except SourceError as error:
            raise CommandError(error.user_message()) from error
    sink = StoringSink(register_for=agency)
    tls = _tls_context(options)
    zone = ZoneInfo(settings.TIME_ZONE)
    receivers = []
    if options["udp_port"] is not None or options["tcp_port"] is not None:
        receivers.append(
            SyslogReceiver(
                sink,
                host=options["host"],
                udp_port=options["udp_port"],
                tcp_port=options["tcp_port"],
                zone=zone,
            )
        )
    if tls is not None:
        receivers.append(
            SyslogReceiver(
                sink,
                host=options["host"],
                udp_port=None,
                tcp_port=options["tls_port"],
                ssl_context=tls,
                zone=zone,
            )
        )
    if not receivers:
        raise CommandError(_("Every listener is off; give --udp-port, --tcp-port or --tls-port."))
    try:
        asyncio.run(_serve(receivers))
    except OSError as error:
        raise CommandError(_("Cannot listen: %(error)s") % {"error": error}) from error
    counts = sink.counts
    command.stdout.write(
        _(
            "Stopped: %(received)s messages received, %(stored)s events stored, "
            "%(duplicates)s duplicates, %(quarantined)s quarantined, %(registered)s sources registered."
        )
        % vars(counts)
    )


async def _serve(receivers: list[SyslogReceiver]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    started: list[SyslogReceiver] = []
    try:
        for receiver in receivers:
            await receiver.start()
            started.append(receiver)
        logger.info("Syslog collection started; stop it with SIGINT or SIGTERM")
        await stop.wait()
        logger.info("Syslog collection stopping on a signal")
    finally:
        for receiver in started:
            await receiver.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


# --- EVTX and retention ----------------------------------------------------------------------


def _ingest(command: BaseCommand, options: dict[str, Any]) -> None:
    source = _one_source(options["source"], options["agency"], SourceKind.EVTX)
    if not source.enabled:
        raise CommandError(
            _("Log source %(host)s is disabled; enable it first.") % {"host": source.host}
        )
    for path in options["paths"]:
        if not path.exists():
            raise CommandError(_("EVTX path not found: %(path)s") % {"path": path})
    report = ingest_files(source, options["paths"])
    for failure in report.failed:
        command.stderr.write(
            _("File not ingested (quarantined): %(path)s: %(reason)s")
            % {"path": failure.path, "reason": failure.reason}
        )
    command.stdout.write(
        _(
            "%(files)s files, %(failed)s of them unreadable and quarantined as whole files; "
            "%(events)s events read, %(stored)s stored, %(duplicates)s already stored, "
            "%(quarantined)s records of readable files quarantined."
        )
        % {
            "files": report.files,
            "failed": len(report.failed),
            "events": report.events,
            "stored": report.stored,
            "duplicates": report.duplicates,
            "quarantined": report.quarantined_records,
        }
    )
    if report.past_retention:
        command.stdout.write(
            _(
                "%(count)s stored events are older than the source's retention of %(days)s days; "
                "the next purge deletes them."
            )
            % {"count": report.past_retention, "days": source.retention_days}
        )


def _purge(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["unassigned_days"] < 1:
        raise CommandError(_("--unassigned-days must be at least 1."))
    counts = purge(dry_run=options["dry_run"], unassigned_days=options["unassigned_days"])
    if options["dry_run"]:
        line = _(
            "%(source)s: would delete %(events)s events and %(quarantined)s quarantined records "
            "older than %(cutoff)s"
        )
    else:
        line = _(
            "%(source)s: deleted %(events)s events and %(quarantined)s quarantined records "
            "older than %(cutoff)s"
        )
    for count in counts:
        name = (
            f"{count.source.agency.code} {count.source.host} ({count.source.kind})"
            if count.source
            else _("unknown senders")
        )
        command.stdout.write(
            line
            % {
                "source": name,
                "events": count.events,
                "quarantined": count.quarantined,
                "cutoff": timezone.localtime(count.cutoff).strftime("%d/%m/%Y %H:%M"),
            }
        )
