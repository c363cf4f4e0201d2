"""``tinhso serve``: serve the platform with uvicorn (ASGI)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from tinhso.core.management.base import PlatformCommand

logger = logging.getLogger(__name__)


class Command(PlatformCommand):
    help = "Serve the platform over HTTP (uvicorn). Put a TLS reverse proxy in front in production."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)."
        )
        parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000).")
        parser.add_argument("--workers", type=int, default=1, help="Worker processes (default 1).")

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
