"""``tinhso ioc``: the operations centre's data core from the command line.

``import``, ``import-gso`` and ``template`` come from :mod:`tinhso.ioc.cli_import`;
``ingest-mqtt`` runs the MQTT ingest worker of :mod:`tinhso.ioc.mqtt`; ``alerts check``
comes from :mod:`tinhso.ioc.alerts.cli`.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.config import ConfigurationError
from tinhso.core import audit
from tinhso.core.management.base import PlatformCommand
from tinhso.ioc.alerts.cli import add_alerts_arguments, handle_alerts_action
from tinhso.ioc.cli_import import IMPORT_ACTIONS, add_import_arguments, handle_import_action

# Import batches of the MQTT worker are attributed to this actor.
MQTT_ACTOR = "mqtt-worker"


class Command(PlatformCommand):
    help = (
        "IOC data: import FILE, import-gso FILE_OR_ZIP, template GROUP --out FILE.xlsx, "
        "derive, ingest-mqtt, alerts check."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add_import_arguments(actions)
        actions.add_parser(
            "derive", help="Compute and store the values of every derived indicator."
        )
        add_ingest_mqtt_arguments(actions)
        add_alerts_arguments(actions)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in IMPORT_ACTIONS:
            handle_import_action(self, options)
        elif action == "derive":
            self.handle_derive()
        elif action == "ingest-mqtt":
            self.handle_ingest_mqtt(options)
        elif action == "alerts":
            handle_alerts_action(self, options)

    def handle_derive(self) -> None:
        from tinhso.ioc.services.derived import materialize_all

        for code, result in materialize_all().items():
            self.stdout.write(
                _(
                    "%(indicator)s: %(created)s values created, %(updated)s updated, %(unchanged)s unchanged."
                )
                % {
                    "indicator": code,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )

    def handle_ingest_mqtt(self, options: dict[str, Any]) -> None:
        from tinhso.ioc import mqtt

        try:
            settings = mqtt.load_settings(
                batch_size=options["batch_size"],
                max_batch_wait_ms=options["max_batch_wait_ms"],
                max_message_bytes=options["max_message_bytes"],
            )
        except ConfigurationError as error:
            raise CommandError(str(error)) from error

        self.stdout.write(
            _(
                "Storing MQTT messages from %(url)s (%(topics)s) as client %(client)s; "
                "stop with SIGTERM or Ctrl+C."
            )
            % {
                "url": settings.display_url,
                "topics": ", ".join(settings.topic_filters),
                "client": settings.client_id,
            }
        )
        context = audit.AuditContext(actor_name=MQTT_ACTOR, request_id=audit.new_request_id())
        with audit.acting_as(context):
            counts = mqtt.run_until_signalled(settings)
        self.stdout.write(
            _(
                "Stopped: %(received)s messages received, %(values)s values and %(events)s "
                "events stored, %(duplicates)s duplicates skipped, %(quarantined)s quarantined."
            )
            % {
                "received": counts.received,
                "values": counts.values,
                "events": counts.events,
                "duplicates": counts.duplicates,
                "quarantined": counts.quarantined,
            }
        )


def add_ingest_mqtt_arguments(actions: Any) -> None:
    """Add the ``ingest-mqtt`` subcommand to the subparsers ``actions``."""
    from tinhso.ioc import mqtt

    ingest = actions.add_parser(
        "ingest-mqtt",
        help=_(
            "Store indicator values and events from the MQTT broker until stopped "
            "(SIGTERM or Ctrl+C). The broker is set by TINHSO_MQTT_URL, the topic root by "
            "TINHSO_MQTT_TOPIC_ROOT, the session's client id by TINHSO_MQTT_CLIENT_ID."
        ),
    )
    ingest.add_argument(
        "--batch-size",
        type=int,
        metavar="MESSAGES",
        help=_(
            "Messages stored per transaction (default TINHSO_MQTT_BATCH_SIZE, else %(default)s)."
        )
        % {"default": mqtt.DEFAULT_BATCH_SIZE},
    )
    ingest.add_argument(
        "--max-batch-wait-ms",
        type=int,
        metavar="MS",
        help=_(
            "Milliseconds to wait for a batch to fill before storing it "
            "(default TINHSO_MQTT_MAX_BATCH_WAIT_MS, else %(default)s)."
        )
        % {"default": mqtt.DEFAULT_MAX_BATCH_WAIT_MS},
    )
    ingest.add_argument(
        "--max-message-bytes",
        type=int,
        metavar="BYTES",
        help=_(
            "Larger messages go to quarantine (default TINHSO_MQTT_MAX_MESSAGE_BYTES, "
            "else %(default)s)."
        )
        % {"default": mqtt.DEFAULT_MAX_MESSAGE_BYTES},
    )
