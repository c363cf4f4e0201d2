"""Benchmark: 1,000,000 long-format values through ``import_values`` against plain ``COPY``.

Run against a PostgreSQL database (it is migrated and loaded with the reference units
first)::

    TINHSO_DATABASE_URL=postgis://postgres@127.0.0.1:5432/tinhso_gso \\
        .venv/bin/python bench/bench_bulk_import.py --rows 1000000

The CSV has the columns indicator, unit, period, value: 40 indicators of one group, the
communes valid since 1 July 2025 (by code) and yearly periods. The baseline copies the same
file with ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` into an unlogged-free plain table
with the same four columns. Both are timed from reading the file to the commit.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tinhso.core.models import Unit  # noqa: E402
from tinhso.core.services.reference import load_reference_units  # noqa: E402
from tinhso.ioc.models import Indicator, IndicatorGroup  # noqa: E402
from tinhso.ioc.services.file_import import import_values  # noqa: E402

INDICATORS = 40


def write_csv(path: Path, rows: int) -> None:
    units = list(
        Unit.objects.current().filter(level=3).order_by("code").values_list("code", flat=True)
    )
    years = range(2026, 2026 + rows // (INDICATORS * len(units)) + 1)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["indicator", "unit", "period", "value"])
        for year in years:
            for number in range(INDICATORS):
                for code in units:
                    if written == rows:
                        return
                    writer.writerow(
                        [f"BENCH.{number:02d}", code, year, f"{(written % 9973) / 7:.2f}"]
                    )
                    written += 1


def copy_baseline(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(
            "CREATE TABLE bench_copy (indicator text, unit text, period text, value double precision)"
        )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        path.open("rb") as handle,
        cursor.cursor.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER)") as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def copy_into_indexed_table(path: Path) -> float:
    """COPY the rows, with ids resolved, into a table with the columns and indexes of
    ioc_datavalue (CREATE TABLE ... LIKE copies indexes, not foreign keys)."""
    indicators = dict(Indicator.objects.filter(code__startswith="BENCH.").values_list("code", "id"))
    units = dict(Unit.objects.current().filter(level=3).values_list("code", "id"))
    resolved = path.with_name("resolved.csv")
    with path.open(encoding="utf-8") as source, resolved.open("w", encoding="utf-8") as target:
        reader = csv.reader(source)
        next(reader)
        writer = csv.writer(target)
        for code, unit, year, value in reader:
            writer.writerow(
                [indicators[code], units[unit], year, "year", f"{year}-01-01", f"{year}-12-31",
                 "", value, "submitted", "import", "values.csv", "", "", 1,
                 "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]
            )  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_datavalue")
        cursor.execute("CREATE TABLE bench_datavalue (LIKE ioc_datavalue INCLUDING ALL)")
    columns = (
        "indicator_id, unit_id, period, period_type, period_start, period_end, disaggregation, "
        "value, status, source_kind, source_detail, topic, comment, version, created_at, "
        "updated_at"
    )

    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        resolved.open("rb") as handle,
        cursor.cursor.copy(
            f"COPY bench_datavalue ({columns}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL (disaggregation, topic, comment))"
        ) as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_datavalue")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set TINHSO_DATABASE_URL to a PostgreSQL database.")

    call_command("migrate", verbosity=0)
    load_reference_units()
    group, _created = IndicatorGroup.objects.get_or_create(
        code="bench", defaults={"name": "Thử tải"}
    )
    for number in range(INDICATORS):
        Indicator.objects.get_or_create(
            code=f"BENCH.{number:02d}", defaults={"name": f"Chỉ tiêu thử {number}", "group": group}
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM ioc_datavalue WHERE indicator_id IN "
            "(SELECT id FROM ioc_indicator WHERE group_id = %s)",
            [group.pk],
        )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "values.csv"
        write_csv(path, args.rows)
        copy_seconds = copy_baseline(path)
        started = time.perf_counter()
        report = import_values(path)
        import_seconds = time.perf_counter() - started
        if report.rows_accepted != args.rows:
            sys.exit(f"only {report.rows_accepted} of {args.rows} rows were accepted")
        indexed_seconds = copy_into_indexed_table(path)

    copy_rate = args.rows / copy_seconds
    indexed_rate = args.rows / indexed_seconds
    import_rate = args.rows / import_seconds
    print(f"rows: {args.rows}")
    for label, seconds, rate in [
        ("COPY into a plain 4-column table", copy_seconds, copy_rate),
        ("COPY into a table like ioc_datavalue", indexed_seconds, indexed_rate),
        ("tinhso import_values (CSV to commit)", import_seconds, import_rate),
    ]:
        print(f"{label:40} {seconds:6.2f} s {rate:12,.0f} rows/s")
    print(f"import rate / plain COPY rate:           {import_rate / copy_rate:.3f}")
    print(f"import rate / indexed COPY rate:         {import_rate / indexed_rate:.3f}")


if __name__ == "__main__":
    main()
