"""Benchmark: a Sigma hunt over the EVTX attack samples, against Zircolite and pySigma's SQLite.

Run from the repository root (no database or Django settings are needed)::

    .venv/bin/python bench/bench_sigma_hunt.py --repeat 5 --write

It measures, over the same files and the same Windows rules, in one run:

* the bare parse rate of the ``evtx`` package (records as JSON strings, and decoded);
* ``tinhso.soc.engine.hunt``: read, flatten and match, after the rules are compiled;
* Zircolite itself, from a work tree in ``var/peers/zircolite`` (see bench/README.md for how
  to check it out) and a virtualenv ``var/peers/zircolite-venv`` that this script creates
  from PyPI with Zircolite's requirements when it is missing. The rules are converted once
  by Zircolite with the pySigma pipelines ``sysmon`` and ``windows-logsources`` and saved as a
  Zircolite ruleset; each timed run is then ``zircolite.py -e SAMPLES -r RULESET``. Its time
  is the duration that Zircolite reports (parse, flatten, load SQLite, run every rule, write
  the detections), from the events per second it prints; the whole process, with interpreter
  start and ruleset load, is reported beside it;
* pySigma's SQLite backend with the same pipelines, run in the Zircolite virtualenv (which
  has pySigma): the events read by tinhso's reader go into one in-memory SQLite table with
  case-insensitive text columns, and each rule's query runs over it. A query that names a
  column absent from the table fails and counts as an error.

The tinhso and Zircolite runs alternate, so that both see the same load on a shared machine.
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
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "bench"))

import orjson  # noqa: E402
from evtx import PyEvtxParser  # noqa: E402

from tinhso.soc.engine import EvtxError, RuleSet, hunt, read_evtx  # noqa: E402
from tinhso.soc.engine.batch import as_text  # noqa: E402
from tinhso.soc.engine.hunt import evtx_files  # noqa: E402

DATA = Path(os.environ.get("TINHSO_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
PEERS = REPOSITORY / "var" / "peers"
ZIRCOLITE = PEERS / "zircolite"
ZIRCOLITE_VENV = PEERS / "zircolite-venv"
# Packages that the pySigma reference needs beside Zircolite's, to read events with tinhso.
REFERENCE_EXTRAS = ["numpy", "regex", "pyahocorasick"]
PIPELINES = ["sysmon", "windows-logsources"]

Pairs = Counter[tuple[str, str]]


def machine() -> dict[str, str]:
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
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "memory": memory,
        "python": platform.python_version(),
        "load": " ".join(f"{value:.1f}" for value in os.getloadavg()),
    }


PARSE_RUNS = 5


def parse_rates(files: list[Path]) -> tuple[float, float, float, int]:
    """Return events per second for raw JSON strings, and decoded with json and with orjson.

    Each rate is the fastest of PARSE_RUNS runs: a run takes a tenth of a second, so one
    run is at the mercy of other jobs on the machine.
    """

    def no_decoding(data: str) -> None:
        return None

    count = sum(1 for path in files for _record in PyEvtxParser(str(path)).records_json())
    rates = []
    for decode in (no_decoding, json.loads, orjson.loads):
        fastest = float("inf")
        for _ in range(PARSE_RUNS):
            started = time.perf_counter()
            for path in files:
                for record in PyEvtxParser(str(path)).records_json():
                    decode(record["data"])
            fastest = min(fastest, time.perf_counter() - started)
        rates.append(count / fastest)
    return rates[0], rates[1], rates[2], count


# --- Zircolite -------------------------------------------------------------------------------


def zircolite_python() -> Path:
    """Return the Zircolite virtualenv's python, creating the virtualenv first if missing."""
    if not (ZIRCOLITE / "zircolite.py").exists():
        raise FileNotFoundError(
            f"no Zircolite work tree in {ZIRCOLITE}; check out Zircolite there (bench/README.md)"
        )
    python = ZIRCOLITE_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ZIRCOLITE_VENV)], check=True)  # noqa: S603
    pip = ZIRCOLITE_VENV / "bin" / "pip"
    requirements = ZIRCOLITE / "requirements.txt"
    marker = ZIRCOLITE_VENV / ".tinhso-installed"
    if not marker.exists():
        subprocess.run(  # noqa: S603
            [str(pip), "install", "-q", "-r", str(requirements), *REFERENCE_EXTRAS], check=True
        )
        marker.write_text("installed\n")
    return python


def package_versions(python: Path, names: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    output = subprocess.run(  # noqa: S603
        [str(python), "-c", code, *names], check=True, capture_output=True, text=True
    )
    versions: dict[str, str] = json.loads(output.stdout)
    return versions


def zircolite_version() -> str:
    text = (ZIRCOLITE / "zircolite.py").read_text(encoding="utf-8")
    match = re.search(r"""version\s*=\s*["']([\d.]+)""", text)
    return match.group(1) if match else "unknown"


def convert_rules(python: Path, rules: Path, samples: Path, ruleset: Path) -> str:
    """Convert the Sigma rules with Zircolite and its pipelines; return its conversion line.

    Zircolite converts while it hunts, so the conversion run goes over the samples too, and
    the ruleset it saves (``-sr``, in its working directory) is kept for the timed runs.
    """
    with tempfile.TemporaryDirectory() as work:
        command = [
            str(python),
            str(ZIRCOLITE / "zircolite.py"),
            "-e",
            str(samples),
            "-r",
            str(rules),
            "-sr",
            "-o",
            str(Path(work) / "detections.json"),
            "-l",
            str(Path(work) / "zircolite.log"),
            "-c",
            str(ZIRCOLITE / "config" / "config.yaml"),
        ]
        for pipeline in PIPELINES:
            command += ["-p", pipeline]
        result = subprocess.run(  # noqa: S603
            command, cwd=work, capture_output=True, text=True, check=False
        )
        saved = sorted(Path(work).glob("ruleset-*.json"))
        if result.returncode != 0 or not saved:
            raise RuntimeError(
                f"Zircolite conversion failed ({result.returncode}): {result.stdout[-2000:]}"
                f"{result.stderr[-2000:]}"
            )
        ruleset.parent.mkdir(parents=True, exist_ok=True)
        saved[0].replace(ruleset)
    match = re.search(r"Converted \d+ rules[^\n]*", result.stdout)
    return match.group(0) if match else "converted"


@dataclass
class ZircoliteRun:
    seconds: float  # Zircolite's own duration: events / its reported events per second
    wall: float  # the whole process
    events: int
    detections: list[dict[str, Any]] = field(default_factory=list)


def run_zircolite(python: Path, samples: Path, ruleset: Path) -> ZircoliteRun:
    with tempfile.TemporaryDirectory() as work:
        output = Path(work) / "detections.json"
        command = [
            str(python),
            str(ZIRCOLITE / "zircolite.py"),
            "-e",
            str(samples),
            "-r",
            str(ruleset),
            "-o",
            str(output),
            "-l",
            str(Path(work) / "zircolite.log"),
            "-c",
            str(ZIRCOLITE / "config" / "config.yaml"),
            "-q",
        ]
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603
            command, cwd=work, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
        events = re.search(r"Events\s+([\d,]+)", result.stdout)
        rate = re.search(r"Throughput\s+([\d,]+) events/s", result.stdout)
        if result.returncode != 0 or events is None or rate is None or not output.exists():
            raise RuntimeError(
                f"Zircolite failed ({result.returncode}): {result.stdout[-2000:]}"
                f"{result.stderr[-2000:]}"
            )
        count = int(events.group(1).replace(",", ""))
        seconds = count / int(rate.group(1).replace(",", ""))
        detections: list[dict[str, Any]] = json.loads(output.read_text(encoding="utf-8"))
    return ZircoliteRun(seconds, wall, count, detections)


def event_files(files: list[Path], samples: Path) -> dict[tuple[str, str, str], str]:
    """Map (file name, EventRecordID, SystemTime) to the sample's relative path.

    Zircolite reports only the file name of a match (OriginalLogfile), and two samples in
    different folders share a name, so the record id and time tell which one it is.
    """
    located: dict[tuple[str, str, str], str] = {}
    for path in files:
        relative = str(path.relative_to(samples))
        try:
            events = read_evtx(path)
        except EvtxError:
            continue
        for event in events:
            key = (
                path.name,
                str(event.fields.get("EventRecordID")),
                str(event.fields.get("TimeCreated")),
            )
            located[key] = relative
    return located


def zircolite_pairs(
    detections: list[dict[str, Any]], located: dict[tuple[str, str, str], str]
) -> Pairs:
    pairs: Pairs = Counter()
    for detection in detections:
        for match in detection.get("matches", []):
            name = str(match.get("OriginalLogfile"))
            key = (name, str(match.get("EventRecordID")), str(match.get("SystemTime")))
            pairs[(located.get(key, name), str(detection["id"]))] += 1
    return pairs


def merge_same_names(pairs: Pairs, files: list[Path], samples: Path) -> Pairs:
    """Count samples that share a file name under one label.

    Zircolite names a match by file name only, so two samples with the same name and the
    same records (a copy in another folder) cannot be told apart.
    """
    names = Counter(path.name for path in files)
    merged: Pairs = Counter()
    for (file, rule), count in pairs.items():
        name = Path(file).name
        label = (
            f"{name} (any of the {names[name]} samples of this name)" if names[name] > 1 else file
        )
        merged[(label, rule)] += count
    return merged


# --- pySigma SQLite, run inside the Zircolite virtualenv -------------------------------------


def reference_run(rule_dir: Path, files: list[Path], samples: Path) -> dict[str, Any]:
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
            print(f"reference: skipped {error}", file=sys.stderr)
            continue
        for event in events:
            row = {name: as_text(value) for name, value in event.fields.items()}
            row["_file"] = str(path.relative_to(samples))
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
    hits: Pairs = Counter()
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
        "hits": [[file, rule, count] for (file, rule), count in sorted(hits.items())],
    }


def run_reference(python: Path, rules: Path, samples: Path) -> dict[str, Any]:
    command = [
        str(python),
        str(Path(__file__).resolve()),
        "--samples",
        str(samples),
        "--rules",
        str(rules),
        "--pysigma-only",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"pySigma reference failed: {result.stderr[-2000:]}")
    reference: dict[str, Any] = json.loads(result.stdout)
    return reference


# --- Comparison and report -------------------------------------------------------------------


@dataclass
class Comparison:
    keys: int
    same: int
    only_ours: list[tuple[str, str]]
    only_theirs: list[tuple[str, str]]
    differ: list[tuple[str, str]]


def compare(ours: Pairs, theirs: Pairs) -> Comparison:
    keys = set(ours) | set(theirs)
    return Comparison(
        keys=len(keys),
        same=sum(1 for key in keys if ours[key] == theirs[key]),
        only_ours=sorted(key for key in keys if ours[key] and not theirs[key]),
        only_theirs=sorted(key for key in keys if theirs[key] and not ours[key]),
        differ=sorted(
            key for key in keys if ours[key] and theirs[key] and ours[key] != theirs[key]
        ),
    )


def comparison_lines(name: str, ours: Pairs, theirs: Pairs, titles: dict[str, str]) -> list[str]:
    result = compare(ours, theirs)
    lines = [
        f"tinhso against {name}: {result.keys} (file, rule) pairs, {result.same} with equal "
        f"counts, {len(result.only_ours)} only tinhso, {len(result.only_theirs)} only {name}, "
        f"{len(result.differ)} with different counts."
    ]
    for label, pairs in (
        ("only tinhso", result.only_ours),
        (f"only {name}", result.only_theirs),
        ("counts differ", result.differ),
    ):
        for file, rule in pairs:
            lines.append(
                f"- {label}: `{file}` {rule} ({titles.get(rule, '?')}): "
                f"tinhso {ours[(file, rule)]}, {name} {theirs[(file, rule)]}"
            )
    return lines


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f}" if seconds > 0 else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DATA / "soc" / "evtx-attack-samples")
    parser.add_argument("--rules", type=Path, default=DATA / "soc" / "sigma" / "rules" / "windows")
    parser.add_argument("--repeat", type=int, default=3, help="Hunt runs; the median is reported.")
    parser.add_argument("--no-peers", action="store_true", help="Run tinhso only.")
    parser.add_argument("--reconvert", action="store_true", help="Convert the rules again.")
    parser.add_argument("--write", action="store_true", help="Write docs/benchmarks.md.")
    parser.add_argument("--pysigma-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    files = evtx_files([arguments.samples])

    if arguments.pysigma_only:
        json.dump(reference_run(arguments.rules, files, arguments.samples), sys.stdout)
        return

    host = machine()
    print(f"machine: {host}")
    print(f"files: {len(files)}")
    raw, decoded, fast_decoded, count = parse_rates(files)
    print(
        f"parse: {count} events, {raw:,.0f} events/s as JSON strings, {decoded:,.0f} decoded "
        f"with json, {fast_decoded:,.0f} with orjson"
    )

    started = time.perf_counter()
    ruleset = RuleSet.from_paths([arguments.rules])
    compile_seconds = time.perf_counter() - started
    print(
        f"tinhso: {len(ruleset.rules)} rules compiled, {len(ruleset.rejected)} rejected, "
        f"in {compile_seconds:.2f} s"
    )
    titles = {rule.rule.id: rule.rule.title for rule in ruleset.rules}

    python = None
    ruleset_file = PEERS / "zircolite-windows-ruleset.json"
    conversion = ""
    convert_seconds = 0.0
    if not arguments.no_peers:
        python = zircolite_python()
        if arguments.reconvert or not ruleset_file.exists():
            started = time.perf_counter()
            conversion = convert_rules(python, arguments.rules, arguments.samples, ruleset_file)
            convert_seconds = time.perf_counter() - started
            print(f"zircolite: {conversion} in {convert_seconds:.1f} s (one run with conversion)")
        zircolite_rules = json.loads(ruleset_file.read_text(encoding="utf-8"))
        print(f"zircolite: {len(zircolite_rules)} rules in {ruleset_file}")

    ours_runs: list[float] = []
    theirs_runs: list[ZircoliteRun] = []
    for _ in range(arguments.repeat):
        hits, summary = hunt(ruleset, files)
        ours_runs.append(summary.seconds)
        if python is not None:
            theirs_runs.append(run_zircolite(python, arguments.samples, ruleset_file))
    seconds = statistics.median(ours_runs)
    ours: Pairs = Counter(
        (str(Path(hit.file).relative_to(arguments.samples)), hit.rule_id) for hit in hits
    )
    print(
        f"tinhso hunt: {summary.events} events, {summary.hits} hits from "
        f"{len({rule for _file, rule in ours})} rules, median {seconds:.3f} s of "
        f"{[round(run, 3) for run in ours_runs]}, {summary.events / seconds:,.0f} events/s"
    )
    if python is None:
        return

    zircolite_seconds = statistics.median(run.seconds for run in theirs_runs)
    zircolite_wall = statistics.median(run.wall for run in theirs_runs)
    events = theirs_runs[-1].events
    theirs = merge_same_names(
        zircolite_pairs(theirs_runs[-1].detections, event_files(files, arguments.samples)),
        files,
        arguments.samples,
    )
    ours_merged = merge_same_names(ours, files, arguments.samples)
    print(
        f"zircolite: {events} events, {sum(theirs.values())} hits from "
        f"{len({rule for _f, rule in theirs})} rules, median {zircolite_seconds:.2f} s of "
        f"{[round(run.seconds, 2) for run in theirs_runs]} ({rate(events, zircolite_seconds)} "
        f"events/s), whole process median {zircolite_wall:.2f} s"
    )

    reference = run_reference(python, arguments.rules, arguments.samples)
    pysigma: Pairs = Counter({(file, rule): n for file, rule, n in reference["hits"]})
    reference_seconds = reference["load_seconds"] + reference["query_seconds"]
    print(
        f"pySigma SQLite: {reference['rules']} rules, {reference['queries']} queries, "
        f"{reference['conversion_errors']} not converted, {reference['query_errors']} failed "
        f"queries, load {reference['load_seconds']:.2f} s, query {reference['query_seconds']:.2f} s"
    )

    lines_zircolite = comparison_lines("Zircolite", ours_merged, theirs, titles)
    lines_pysigma = comparison_lines("pySigma SQLite", ours, pysigma, titles)
    print("\n".join(lines_zircolite))
    print("\n".join(lines_pysigma))

    versions = package_versions(
        python,
        [
            "evtx",
            "pySigma",
            "pySigma-backend-sqlite",
            "pysigma-pipeline-sysmon",
            "pysigma-pipeline-windows",
        ],
    )
    ours_rate = summary.events / seconds
    theirs_rate = events / zircolite_seconds
    machine_text = (
        f'Machine: {host["cores"]} cores (`nproc`), CPU model "{host["cpu"]}" (as '
        f"`/proc/cpuinfo` names it), {host['memory']} of memory, Python {host['python']}; load "
        f"average {host['load']} when the run started (other jobs shared the machine). "
        f"Zircolite {zircolite_version()} with evtx {versions['evtx']}, pySigma "
        f"{versions['pySigma']}, pySigma-backend-sqlite {versions['pySigma-backend-sqlite']}, "
        f"pysigma-pipeline-sysmon {versions['pysigma-pipeline-sysmon']} and "
        f"pysigma-pipeline-windows {versions['pysigma-pipeline-windows']}, in "
        f"`var/peers/zircolite-venv`. Each tool ran in one process; the `evtx` parser may use "
        f"a second thread in both."
    )
    verdict = "" if ours_rate >= 5 * theirs_rate else ", so the goal is not met in this run"
    summary_text = (
        f"tinhso is {ours_rate / theirs_rate:.1f} times as fast as Zircolite (goal: 5){verdict}. "
        f"Its rate is {ours_rate / fast_decoded:.2f} of the bare parse rate with orjson "
        f"decoding, and {ours_rate / decoded:.2f} of the rate with `json` decoding. Zircolite "
        f"loaded {len(zircolite_rules):,} converted rules"
        f"{f' ({conversion})' if conversion else ''}; pySigma converted "
        f"{reference['rules'] - reference['conversion_errors']:,} of {reference['rules']:,} "
        f"rules, and {reference['query_errors']} of its queries failed."
    )
    hits_text = (
        f"Hits: tinhso {sum(ours.values()):,} from {len({r for _f, r in ours})} rules, "
        f"Zircolite {sum(theirs.values()):,} from {len({r for _f, r in theirs})} rules, "
        f"pySigma SQLite {sum(pysigma.values()):,} from {len({r for _f, r in pysigma})} rules."
    )
    rows = [
        (f"`evtx` parse, records as JSON strings (fastest of {PARSE_RUNS})", count / raw, raw),
        (f"`evtx` parse, decoded with `json` (fastest of {PARSE_RUNS})", count / decoded, decoded),
        (
            f"`evtx` parse, decoded with orjson as tinhso does (fastest of {PARSE_RUNS})",
            count / fast_decoded,
            fast_decoded,
        ),
        (
            f"**tinhso hunt**: read, flatten, match (median of {arguments.repeat})",
            seconds,
            ours_rate,
        ),
        (
            f"Zircolite: duration it reports (median of {arguments.repeat})",
            zircolite_seconds,
            theirs_rate,
        ),
        (
            f"pySigma SQLite: load the table, {reference['queries']:,} queries",
            reference_seconds,
            reference["events"] / reference_seconds,
        ),
    ]
    table = [
        "| what | seconds | events per second | rate / tinhso rate |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {taken:.3f} | {speed:,.0f} | {speed / ours_rate:.2f} |"
            for label, taken, speed in rows
        ),
        f"| Zircolite: whole process, with start and ruleset load (median) | {zircolite_wall:.2f} "
        f"| {rate(events, zircolite_wall)} | |",
        f"| tinhso: compile {len(ruleset.rules):,} rules ({len(ruleset.rejected)} rejected) "
        f"| {compile_seconds:.2f} | | |",
    ]
    block = "\n\n".join(
        [
            f"Run on {time.strftime('%Y-%m-%d')} with:",
            f"```\n.venv/bin/python bench/bench_sigma_hunt.py --repeat {arguments.repeat} --write\n```",
            textwrap.fill(machine_text, width=95, break_on_hyphens=False),
            "\n".join(table),
            textwrap.fill(summary_text, width=95, break_on_hyphens=False),
            textwrap.fill(hits_text, width=95, break_on_hyphens=False),
            "\n".join(lines_zircolite),
            "\n".join(lines_pysigma),
        ]
    )
    if arguments.write:
        from results_page import write_results

        write_results("sigma-hunt", "## Sigma hunt", block)
        print("written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
