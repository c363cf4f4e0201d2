"""Benchmark: the leaders' overview API on PostgreSQL against the same SQL run directly.

Run from the repository root::

    .venv/bin/python bench/bench_overview.py --clients 50 --requests 10

It creates the database ``tinhso_bench_overview`` (``--postgres-url``) with PostGIS, migrates
it, loads the reference units and imports the General Statistics Office tables of
``--gso-zip``. It takes ``--annual`` real indicator definitions of the built-in sectors for
yearly values and ``--monthly`` more whose periodicity it sets to month. Then it writes
``--years`` years of values for every commune of Phú Thọ (148 since 1 July 2025) with COPY. The overview dashboard is composed with card widgets for twelve of
them, as an administrator would.

Then, in the same run:

1. ``tinhso serve --workers N`` serves ``GET /api/v1/ioc/overview`` with an agency key to
   ``--clients`` concurrent clients, each sending ``--requests`` requests one after another;
2. the SQL that one overview runs (captured from Django) is run with psycopg by
   ``--clients`` concurrent connections, each running it ``--requests`` times.

It prints the median and the 95th percentile of both, in milliseconds, and their ratio.
``--keep`` keeps the database for another run with ``--reuse``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from postgis_database import conninfo, create_database, drop_database

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))

logger = logging.getLogger("bench_overview")

DEFAULT_URL = "postgis://postgres@127.0.0.1:5432/tinhso_bench_overview"
DEFAULT_GSO = REPOSITORY.parent / "shared" / "data" / "stats" / "choisy_gso_raw_gso_21092018.zip"
SECRET_KEY = secrets.token_urlsafe(48)
CARD_COUNT = 12
COLUMNS = (
    "indicator_id", "unit_id", "period", "period_type", "period_start", "period_end",
    "disaggregation", "value", "status", "source_kind", "source_detail", "comment", "topic",
    "version", "created_at", "updated_at",
)  # fmt: skip


def environment(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TINHSO_")}
    env.update(
        TINHSO_DATABASE_URL=url,
        TINHSO_SECRET_KEY=SECRET_KEY,
        TINHSO_DATA_DIR=str(REPOSITORY / "var" / "bench-overview"),
        TINHSO_ALLOWED_HOSTS="127.0.0.1,localhost",
        TINHSO_SECURE_COOKIES="0",
        TINHSO_LANGUAGE="en",
        PYTHONUNBUFFERED="1",
    )
    return env


def tinhso(url: str, *args: str) -> None:
    started = time.monotonic()
    subprocess.run(  # noqa: S603 (our own command line, no shell)
        [sys.executable, "-m", "tinhso", *args], env=environment(url), cwd=REPOSITORY, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    print(f"tinhso {' '.join(args)}: {time.monotonic() - started:.1f} s")


def setup_django(url: str) -> None:
    os.environ.update(environment(url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def choose_indicators(annual: int, monthly: int) -> tuple[list[Any], list[Any]]:
    """Take real indicators of the built-in sectors, alternating sectors, ordered by code."""
    from tinhso.ioc.dashboards.models import Sector

    by_sector = [list(sector.indicators().order_by("code")) for sector in Sector.objects.all()]
    chosen: list[Any] = []
    while len(chosen) < annual + monthly and any(by_sector):
        for indicators in by_sector:
            if indicators and len(chosen) < annual + monthly:
                chosen.append(indicators.pop(0))
    if len(chosen) < annual + monthly:
        raise SystemExit(
            f"Only {len(chosen)} indicators in the built-in sectors; import the GSO tables."
        )
    return chosen[:annual], chosen[annual:]


def generate_values(url: str, annual: list[Any], monthly: list[Any], years: int) -> int:
    """Write ``years`` years of values for every current commune with COPY; return the row count."""
    import psycopg

    from tinhso.ioc import periods
    from tinhso.ioc.dashboards.services.scope import province_scope
    from tinhso.ioc.models import Indicator

    Indicator.objects.filter(pk__in=[i.pk for i in monthly]).update(periodicity="month")
    scope = province_scope()
    if scope is None:
        raise SystemExit("The province has no units; tinhso units load-reference failed.")
    communes = list(scope.commune_ids)
    last_year = dt.datetime.now(dt.UTC).year - 1
    first_year = last_year - years + 1
    random.seed(2025)
    now = dt.datetime.now(dt.UTC)
    plans = [
        (i, [periods.year_period(y) for y in range(first_year, last_year + 1)]) for i in annual
    ]
    plans += [
        (i, [periods.month(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)])
        for i in monthly
    ]
    rows = 0
    with psycopg.connect(conninfo(url)) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY ioc_datavalue ({', '.join(COLUMNS)}) FROM STDIN".encode()) as copy:
            for indicator, indicator_periods in plans:
                for unit_id in communes:
                    base = random.uniform(50, 5000)  # noqa: S311 (test data, not secrets)
                    for step, period in enumerate(indicator_periods):
                        noise = random.uniform(0.9, 1.1)  # noqa: S311
                        value = round(base * (1 + 0.004 * step) * noise, 2)
                        copy.write_row(
                            (
                                indicator.pk,
                                unit_id,
                                period.code,
                                period.type.value,
                                period.start,
                                period.end,
                                "",
                                value,
                                "approved",
                                "import",
                                "bench_overview",
                                "",
                                "",
                                1,
                                now,
                                now,
                            )  # fmt: skip
                        )
                        rows += 1
        connection.commit()
        cursor.execute(b"ANALYZE ioc_datavalue")
        connection.commit()
    return rows


def compose_overview(indicators: list[Any]) -> None:
    from tinhso.ioc.dashboards.builtin import OVERVIEW_SLUG
    from tinhso.ioc.dashboards.models import Dashboard, Widget, WidgetKind

    dashboard = Dashboard.objects.get(slug=OVERVIEW_SLUG)
    dashboard.widgets.all().delete()
    for position, indicator in enumerate(indicators):
        widget = Widget.objects.create(dashboard=dashboard, kind=WidgetKind.CARD, position=position)
        widget.indicators.add(indicator)


def overview_sql() -> tuple[list[str], float]:
    """Return the SQL statements of one overview and the time Django took for it in-process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tinhso.ioc.dashboards.services.overview import build_overview
    from tinhso.ioc.models import DataValue

    build_overview(DataValue.objects.all())  # warm the caches of units and reference data
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        build_overview(DataValue.objects.all())
        elapsed = time.perf_counter() - started
    return [query["sql"] for query in captured.captured_queries], elapsed


def issue_bench_key() -> str:
    from tinhso.api.keys import issue_key
    from tinhso.core.models import Department

    department, _created = Department.objects.get_or_create(
        code="bench", defaults={"name": "Benchmark"}
    )
    # The default limit of 600 requests a minute would reject most benchmark requests with 429.
    return issue_key(
        department, ["ioc:read"], name="bench_overview", rate_limit_per_minute=10_000_000
    ).raw_key


# The platform borrows connections from a psycopg pool per process (tinhso.config). With
# --no-pool the server opens a connection per request instead, for comparison.
SERVER_SETTINGS = """\
from tinhso.settings import *  # noqa: F403

if not {pool}:
    DATABASES["default"]["OPTIONS"].pop("pool", None)  # noqa: F405
"""


USE_POOL = True


def has_pool() -> bool:
    return USE_POOL


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    log = (REPOSITORY / "var" / "bench-overview").resolve()
    log.mkdir(parents=True, exist_ok=True)
    settings_text = SERVER_SETTINGS.format(pool=has_pool())
    (log / "bench_overview_settings.py").write_text(settings_text, encoding="utf-8")
    env = environment(url)
    env.update(DJANGO_SETTINGS_MODULE="bench_overview_settings", PYTHONPATH=str(log))
    with (log / "serve.log").open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command line, no shell)
            [sys.executable, "-m", "tinhso", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=env, cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"tinhso serve did not respond on port {port}; see {log / 'serve.log'}")


def run_concurrently(
    clients: int, requests: int, make_call: Callable[[], Callable[[], None]]
) -> list[float]:
    """Run ``requests`` calls in each of ``clients`` threads; return every latency in seconds."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client() -> None:
        try:
            call = make_call()
            barrier.wait()
            for _index in range(requests):
                started = time.perf_counter()
                call()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
        except Exception as error:  # counted and reported after the run
            with lock:
                errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=client) for _index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} clients failed, first: {errors[0]}")
    return latencies


def api_call_factory(port: int, key: str) -> Callable[[], Callable[[], None]]:
    def make() -> Callable[[], None]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/ioc/overview",
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        )

        def call() -> None:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (http on loopback)
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}")
                response.read()

        return call

    return make


def sql_call_factory(url: str, statements: list[str]) -> Callable[[], Callable[[], None]]:
    import psycopg

    def make() -> Callable[[], None]:
        connection = psycopg.connect(conninfo(url), autocommit=True)

        def call() -> None:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement.encode())
                    if cursor.description is not None:
                        cursor.fetchall()

        return call

    return make


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, latencies: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(
        f"{name}: {len(latencies)} calls, p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"mean {statistics.mean(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url", default=DEFAULT_URL, help="Server and name of the benchmark database."
    )
    parser.add_argument(
        "--gso-zip", type=Path, default=DEFAULT_GSO, help="The GSO PX-Web tables (zip)."
    )
    parser.add_argument(
        "--annual", type=int, default=36, help="Indicators with yearly values (default 36)."
    )
    parser.add_argument(
        "--monthly", type=int, default=12, help="Indicators with monthly values (default 12)."
    )
    parser.add_argument(
        "--years", type=int, default=10, help="Years of values per commune (default 10)."
    )
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients (default 50).")
    parser.add_argument(
        "--requests", type=int, default=10, help="Requests per client (default 10)."
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="tinhso serve worker processes (default 2)."
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="Port of tinhso serve (default 8765)."
    )
    parser.add_argument(
        "--reuse", action="store_true", help="Reuse the database of a run with --keep."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--no-pool",
        action="store_true",
        help="Serve without the psycopg pool even if it is installed.",
    )
    args = parser.parse_args()
    global USE_POOL
    USE_POOL = not args.no_pool

    if not args.reuse:
        create_database(args.postgres_url)
        tinhso(args.postgres_url, "migrate", "--verbosity", "0")
        tinhso(args.postgres_url, "units", "load-reference")
        tinhso(args.postgres_url, "ioc", "import-gso", str(args.gso_zip))
    setup_django(args.postgres_url)
    from tinhso.ioc.models import DataValue

    if not args.reuse:
        annual, monthly = choose_indicators(args.annual, args.monthly)
        started = time.monotonic()
        rows = generate_values(args.postgres_url, annual, monthly, args.years)
        print(f"Generated {rows} values in {time.monotonic() - started:.1f} s")
        half = CARD_COUNT // 2
        compose_overview(monthly[:half] + annual[: CARD_COUNT - len(monthly[:half])])
    print(f"Values in the database: {DataValue.objects.count()}")

    statements, in_process = overview_sql()
    print(f"One overview in-process: {in_process * 1000:.1f} ms, {len(statements)} SQL statements")
    key = issue_bench_key()
    from django.db import connections

    connections.close_all()

    server = start_server(args.postgres_url, args.port, args.workers)
    try:
        api_call_factory(args.port, key)()()  # warm-up: imports and caches of the workers
        api = run_concurrently(args.clients, args.requests, api_call_factory(args.port, key))
    finally:
        server.terminate()
        server.wait(30)
    sql = run_concurrently(
        args.clients, args.requests, sql_call_factory(args.postgres_url, statements)
    )

    connections_used = (
        "the platform's psycopg pool per worker (4 connections)"
        if has_pool()
        else "a new connection per request"
    )
    print(
        f"{args.clients} concurrent clients, {args.requests} requests each, {args.workers} server workers, {connections_used}"
    )
    api_p50, api_p95 = report("API  GET /api/v1/ioc/overview", api)
    sql_p50, sql_p95 = report("SQL  the overview's statements via psycopg", sql)
    print(f"Ratio API/SQL: p50 {api_p50 / sql_p50:.2f}, p95 {api_p95 / sql_p95:.2f}")
    if not args.keep:
        drop_database(args.postgres_url)


if __name__ == "__main__":
    main()
