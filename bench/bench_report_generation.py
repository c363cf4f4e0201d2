"""Benchmark: ``tinhso report generate ktxh --period 2016`` as DOCX and as PDF on the real data.

Run from the repository root::

    .venv/bin/python bench/bench_report_generation.py --runs 5

The script makes a fresh SQLite database in a temporary data folder (or ``--data-dir``) and
migrates it, which creates the built-in ``ktxh`` regime. It loads the reference units and
imports the GSO PX-Web tables and the Ministry of Finance budget file of Vĩnh Phúc from the
public data folder (``--shared-data``, default ``../shared/data``). It then times the
command in-process, once per run and format, from the call to the written file, and prints
the minimum and the median. A first untimed run warms the font and matplotlib caches, so the
numbers leave out that one-off cost; the cold run is printed separately. Python and Django
start-up (about a second) is not included.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
GSO_ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
BUDGET_CSV = "stats/vinhphuc_budget_mof_2006_2015_mdtrinh.csv"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per format (default 5).")
    parser.add_argument("--data-dir", type=Path, help="Data folder for the database and files.")
    parser.add_argument(
        "--shared-data",
        type=Path,
        default=Path(os.environ.get("TINHSO_SHARED_DATA", ROOT.parent / "shared" / "data")),
        help="The public data folder with stats/ (default ../shared/data).",
    )
    return parser.parse_args()


def setup_django(data_dir: Path) -> None:
    os.environ["TINHSO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("TINHSO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def load_data(shared_data: Path) -> None:
    from django.core.management import call_command

    from tinhso.core.services.reference import load_reference_units
    from tinhso.ioc.services.gso_import import import_gso

    call_command("migrate", interactive=False, verbosity=0)
    load_reference_units()
    import_gso(shared_data / GSO_ZIP)
    call_command(
        "ioc", "import", str(shared_data / BUDGET_CSV), "--group", "ns-mof", stdout=io.StringIO()
    )


def time_generate(out: Path) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command(
        "report", "generate", "ktxh", "--period", "2016", "--out", str(out), stdout=io.StringIO()
    )
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tinhso-report-bench-"))
    setup_django(data_dir)
    logging.disable(logging.INFO)
    started = time.perf_counter()
    load_data(args.shared_data)
    print(f"data folder {data_dir}; data loaded in {time.perf_counter() - started:.1f} s")

    out_dir = data_dir / "bench-out"
    out_dir.mkdir(exist_ok=True)
    for file_format in ("docx", "pdf"):
        cold = time_generate(out_dir / f"cold.{file_format}")
        times = [time_generate(out_dir / f"run{run}.{file_format}") for run in range(args.runs)]
        size = (out_dir / f"run0.{file_format}").stat().st_size
        print(
            f"generate ktxh --period 2016 {file_format.upper()}: cold {cold:.2f} s, "
            f"min {min(times):.2f} s, median {statistics.median(times):.2f} s "
            f"over {args.runs} runs, {size / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
