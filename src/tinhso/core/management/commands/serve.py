"""``tinhso serve``: serve the platform with uvicorn (ASGI)."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from tinhso.config import ConfigurationError
from tinhso.core.management.base import PlatformCommand

logger = logging.getLogger(__name__)

MQTT_STOP_SECONDS = 30


class Command(PlatformCommand):
    help = "Serve the platform over HTTP (uvicorn). Put a TLS reverse proxy in front in production."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)."
        )
        parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000).")
        parser.add_argument("--workers", type=int, default=1, help="Worker processes (default 1).")
        parser.add_argument(
            "--mqtt",
            action="store_true",
            help=(
                "Also run the MQTT ingest worker (broker from TINHSO_MQTT_URL) in a thread of "
                "this process, so values and events reach the IOC without a second command."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                _("The database has unapplied migrations; run `tinhso migrate` first.")
            )
        connection.close()

        self.stdout.write(
            _(
                "Serving Tỉnh số on http://%(host)s:%(port)s/ (database: %(vendor)s, debug: %(debug)s)"
            )
            % {
                "host": options["host"],
                "port": options["port"],
                "vendor": connection.vendor,
                "debug": settings.DEBUG,
            }
        )
        worker = self.start_mqtt_worker() if options["mqtt"] else None
        try:
            uvicorn.run(
                "tinhso.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                log_level="info",
                proxy_headers=True,
                forwarded_allow_ips="127.0.0.1",
                server_header=False,
            )
        finally:
            if worker is not None:
                self.stop_mqtt_worker(*worker)

    def start_mqtt_worker(self) -> tuple[Any, threading.Thread]:
        """Start the MQTT ingest worker in a daemon thread; return the worker and its thread."""
        from tinhso.core import audit
        from tinhso.ioc import mqtt
        from tinhso.ioc.management.commands.ioc import MQTT_ACTOR

        try:
            mqtt_settings = mqtt.load_settings()
        except ConfigurationError as error:
            raise CommandError(str(error)) from error
        worker = mqtt.IngestWorker(mqtt_settings)

        def run() -> None:
            # The audit context lives in the thread that stores, so it is set inside it.
            context = audit.AuditContext(actor_name=MQTT_ACTOR, request_id=audit.new_request_id())
            with audit.acting_as(context):
                worker.run()

        thread = threading.Thread(target=run, name="mqtt-ingest", daemon=True)
        thread.start()
        self.stdout.write(
            _("The MQTT ingest worker receives from %(url)s.") % {"url": mqtt_settings.display_url}
        )
        return worker, thread

    def stop_mqtt_worker(self, worker: Any, thread: threading.Thread) -> None:
        """Let the worker store its current batch before the process exits."""
        worker.stop("the web server stopped")
        thread.join(timeout=MQTT_STOP_SECONDS)
        if thread.is_alive():
            logger.warning(
                "The MQTT ingest worker did not stop within %s s; unacknowledged messages "
                "stay on the broker and arrive again at the next start",
                MQTT_STOP_SECONDS,
            )
