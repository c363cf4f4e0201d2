"""Benchmark: a Sigma hunt over the EVTX attack samples, against pySigma's SQLite backend.

Run from the repository root (no database or Django settings are needed)::

    .venv/bin/python bench/bench_sigma_hunt.py

It measures, over the same files and the same Windows rules:

* the bare parse rate of the ``evtx`` package (records as JSON strings, and decoded);
* ``tinhso.soc.engine.hunt``: parse, flatten and match, after the rules are compiled;
* the reference, when ``pysigma``, ``pysigma-backend-sqlite``, ``pysigma-pipeline-sysmon``
  and ``pysigma-pipeline-windows`` are installed. The rules are converted to SQL with the Sysmon
  and Windows log source pipelines. Each query then runs over one SQLite table of all events
  with case-insensitive text columns, which is how Zircolite runs them. A query that names a
  column absent from the table fails and counts as an error.

Hits are compared per (file, rule id) as counts of matched events.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from evtx import PyEvtxParser  # noqa: E402

from tinhso.soc.engine import EvtxError, RuleSet, hunt, read_evtx  # noqa: E402
from tinhso.soc.engine.batch import as_text  # noqa: E402
from tinhso.soc.engine.hunt import evtx_files  # noqa: E402

DATA = Path(
    os.environ.get("TINHSO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def machine() -> str:
    model = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), CPU {model!r}, {memory} RAM, Python {platform.python_version()}"


def parse_rates(files: list[Path]) -> tuple[float, float, int]:
    """Return events per second for raw JSON strings and for decoded JSON."""
    started = time.perf_counter()
    count = 0
    for path in files:
        for _record in PyEvtxParser(str(path)).records_json():
            count += 1
    raw = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for path in files:
        for record in PyEvtxParser(str(path)).records_json():
            json.loads(record["data"])
    decoded = count / (time.perf_counter() - started)
    return raw, decoded, count


def reference_run(rule_dir: Path, files: list[Path]) -> dict[str, Any]:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    from sigma.pipelines.sysmon import sysmon_pipeline
    from sigma.pipelines.windows import windows_logsource_pipeline

    started = time.perf_counter()
    collection = SigmaCollection.load_ruleset([str(rule_dir)], collect_errors=True)
    backend = sqliteBackend(
        processing_pipeline=sysmon_pipeline() + windows_logsource_pipeline(), collect_errors=True
    )
    queries: list[tuple[str, str]] = []
    conversion_errors = 0
    for rule in collection.rules:
        try:
            converted = backend.convert_rule(rule)
        except Exception:  # noqa: BLE001 - any pySigma conversion error skips the rule
            conversion_errors += 1
            continue
        if not converted or rule.errors:
            conversion_errors += 1
            continue
        queries.extend((str(rule.id), query) for query in converted)
    convert_seconds = time.perf_counter() - started

    started = time.perf_counter()
    rows: list[dict[str, str | None]] = []
    names: dict[str, str] = {}
    for path in files:
        try:
            events = read_evtx(path)
        except EvtxError as error:
            print(f"reference: skipped {error}")
            continue
        for event in events:
            row = {name: as_text(value) for name, value in event.fields.items()}
            row["_file"] = str(path)
            rows.append(row)
            for name in row:
                names.setdefault(name.lower(), name)
    columns = list(names.values())
    database = sqlite3.connect(":memory:")
    database.create_function(
        "regexp",
        2,
        lambda pattern, value: value is not None and re.search(pattern, str(value)) is not None,
        deterministic=True,
    )
    quoted = ", ".join(f'"{name}" TEXT COLLATE NOCASE' for name in columns)
    database.execute(f"CREATE TABLE logs ({quoted})")
    placeholders = ", ".join("?" for _ in columns)
    lowered = [name.lower() for name in columns]
    position = {name: index for index, name in enumerate(lowered)}
    values = []
    for row in rows:
        record: list[str | None] = [None] * len(columns)
        for key, value in row.items():
            record[position[key.lower()]] = value
        values.append(record)
    # Only '?' placeholders are interpolated into the statement.
    database.executemany(f"INSERT INTO logs VALUES ({placeholders})", values)  # noqa: S608
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    hits: Counter[tuple[str, str]] = Counter()
    query_errors = 0
    for rule_id, query in queries:
        try:
            for (file,) in database.execute(query.replace("SELECT *", "SELECT _file", 1)):
                hits[(file, rule_id)] += 1
        except sqlite3.Error:
            query_errors += 1
    query_seconds = time.perf_counter() - started
    return {
        "rules": len(collection.rules),
        "queries": len(queries),
        "conversion_errors": conversion_errors,
        "query_errors": query_errors,
        "convert_seconds": convert_seconds,
        "load_seconds": load_seconds,
        "query_seconds": query_seconds,
        "events": len(rows),
        "hits": hits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DATA / "soc" / "evtx-attack-samples")
    parser.add_argument("--rules", type=Path, default=DATA / "soc" / "sigma" / "rules" / "windows")
    parser.add_argument("--repeat", type=int, default=3, help="Hunt runs; the median is reported.")
    parser.add_argument("--no-reference", action="store_true", help="Skip the pySigma run.")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    files = evtx_files([arguments.samples])
    print(f"machine: {machine()}")
    print(f"files: {len(files)}")

    raw, decoded, count = parse_rates(files)
    print(f"parse: {count} events, {raw:,.0f} events/s as JSON strings, {decoded:,.0f} decoded")

    started = time.perf_counter()
    ruleset = RuleSet.from_paths([arguments.rules])
    load_seconds = time.perf_counter() - started
    print(
        f"tinhso: {len(ruleset.rules)} rules compiled, {len(ruleset.rejected)} rejected, "
        f"in {load_seconds:.2f} s"
    )
    runs = []
    for _ in range(arguments.repeat):
        hits, summary = hunt(ruleset, files)
        runs.append(summary.seconds)
    seconds = statistics.median(runs)
    ours: Counter[tuple[str, str]] = Counter((hit.file, hit.rule_id) for hit in hits)
    print(
        f"tinhso hunt: {summary.events} events, {summary.hits} hits from "
        f"{len({rule for _file, rule in ours})} rules, median {seconds:.2f} s of "
        f"{arguments.repeat}, {summary.events / seconds:,.0f} events/s"
    )

    if arguments.no_reference:
        return
    try:
        reference = reference_run(arguments.rules, files)
    except ImportError as error:
        print(f"reference skipped: {error}")
        return
    theirs: Counter[tuple[str, str]] = reference["hits"]
    run_seconds = reference["load_seconds"] + reference["query_seconds"]
    print(
        f"pySigma SQLite: {reference['rules']} rules, {reference['queries']} queries, "
        f"{reference['conversion_errors']} not converted, {reference['query_errors']} failed "
        f"queries; convert {reference['convert_seconds']:.2f} s, load {reference['load_seconds']:.2f} s, "
        f"query {reference['query_seconds']:.2f} s, {reference['events'] / run_seconds:,.0f} events/s"
    )
    print(
        f"pySigma SQLite: {sum(theirs.values())} hits from {len({rule for _f, rule in theirs})} rules"
    )
    keys = set(ours) | set(theirs)
    same = sum(1 for key in keys if ours[key] == theirs[key])
    only_ours = sorted(key for key in keys if ours[key] and not theirs[key])
    only_theirs = sorted(key for key in keys if theirs[key] and not ours[key])
    differ = sorted(key for key in keys if ours[key] and theirs[key] and ours[key] != theirs[key])
    print(
        f"(file, rule) pairs: {len(keys)} in all, {same} with equal counts, "
        f"{len(only_ours)} only tinhso, {len(only_theirs)} only pySigma, {len(differ)} differing counts"
    )
    for label, pairs in (
        ("only tinhso", only_ours),
        ("only pySigma", only_theirs),
        ("differ", differ),
    ):
        for file, rule in pairs:
            print(
                f"  {label}: {Path(file).name} {rule} tinhso={ours[(file, rule)]} pysigma={theirs[(file, rule)]}"
            )


if __name__ == "__main__":
    main()
