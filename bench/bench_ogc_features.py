"""Benchmark: OGC API Features items pages of tinhso against pygeoapi, on the same PostGIS table.

Run from the repository root::

    .venv/bin/python bench/bench_ogc_features.py --features 50000 --connections 8 --duration 20

Needs ``wrk`` (Debian package ``wrk``) and a PostgreSQL server with PostGIS on which the user
may create databases. It reads the public data folder beside the repository (``--shared-data``).
It serves tinhso with gunicorn from the project's virtualenv (``.venv/bin/pip install "gunicorn>=23,<24"``; a bench
tool, not a project dependency). pygeoapi runs from its own virtualenv, which the script
creates when it is missing::

    python3.11 -m venv var/peers/pygeoapi
    var/peers/pygeoapi/bin/pip install "pygeoapi==0.21.0" geoalchemy2 pygeofilter \\
        psycopg2-binary "gunicorn==<the version in .venv>"

Steps, all in one run:

1. Create the database ``tinhso_bench_ogc`` (``--postgres-url``), migrate it, load the
   reference units and import the real boundary files (the Vĩnh Phúc districts and the 148
   Phú Thọ communes of 2025), which fill the boundaries layer.
2. Add ``--features`` synthetic points to the public layer ``osm-diem-quan-tam``, drawn with a
   fixed seed inside the union of the communes, with the attributes ten, loai and osm_id.
3. Create the view ``bench_ogc_points`` (id, geom, ten, loai, osm_id) over ``geo_mapfeature``
   for that layer only, and point pygeoapi's PostgreSQL provider at it. Both servers read the
   same rows through the same GiST index on ``geo_mapfeature.geom``.
4. Serve tinhso (``tinhso.wsgi``) and pygeoapi (``pygeoapi.flask_app:APP``) each with
   gunicorn, ``--workers`` sync workers, on 127.0.0.1 ports 8771 and 8772.
5. Check that both return the same numberMatched for every scenario, then run ``wrk`` with
   ``--connections`` connections for ``--duration`` seconds per scenario and server,
   alternating servers, and print requests/s, p50 and p95 latency and the ratio.

tinhso writes one access-log row per request (``ApiAccessLog``) and pygeoapi writes none; the
numbers include that insert. pygeoapi pages are unordered (its default without ``sortby``);
tinhso orders by id, so its pages are stable.

``--write`` writes the results into docs/benchmarks.md. ``--keep`` keeps the
database for another run with ``--reuse``. ``--profile`` profiles tinhso's items view
in-process with pyinstrument and writes the text report under ``var/bench-ogc/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from postgis_database import conninfo, create_database, drop_database
from results_page import write_results

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))

DEFAULT_URL = "postgis://postgres@127.0.0.1:5432/tinhso_bench_ogc"
DEFAULT_SHARED = REPOSITORY.parent / "shared" / "data"
PEER_VENV = REPOSITORY / "var" / "peers" / "pygeoapi"
WORK = REPOSITORY / "var" / "bench-ogc"
LAYER = "osm-diem-quan-tam"
VIEW = "bench_ogc_points"
SEED = 20250701
KINDS = ["trường học", "trạm y tế", "chợ", "nhà văn hóa", "bưu điện", "ngân hàng"]
TINHSO_PORT = 8771
PYGEOAPI_PORT = 8772
SECRET_KEY = secrets.token_urlsafe(48)
# Old Vĩnh Phúc around Vĩnh Yên; with 50 000 points over the province it contains about 5 000.
BBOX = "105.40,21.15,105.75,21.45"
SCENARIOS = [
    ("limit=100, bbox", f"limit=100&bbox={BBOX}"),
    ("limit=1000, bbox", f"limit=1000&bbox={BBOX}"),
]
WRK_SCRIPT = """\
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, errors))
end
"""


def environment(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TINHSO_")}
    env.update(
        TINHSO_DATABASE_URL=url,
        TINHSO_SECRET_KEY=SECRET_KEY,
        TINHSO_DATA_DIR=str(WORK / "data"),
        TINHSO_ALLOWED_HOSTS="127.0.0.1,localhost",
        TINHSO_SECURE_COOKIES="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def setup_django(url: str) -> None:
    os.environ.update(environment(url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def load_data(url: str, shared: Path, count: int) -> int:
    """Migrate, import the real boundaries and add ``count`` points; return the layer id."""
    subprocess.run(  # noqa: S603 (our own command line, no shell)
        [sys.executable, "-m", "tinhso", "migrate", "--no-input"],
        env=environment(url), cwd=REPOSITORY, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    setup_django(url)
    from tinhso.core.services.history import apply_transfers
    from tinhso.core.services.reference import load_reference_units
    from tinhso.geo.boundaries import import_boundaries

    load_reference_units()
    apply_transfers()
    for name in (
        "boundaries/vinhphuc_province_districts_gischinhphu.geojson",
        "boundaries/phutho_wards_2025_vietnam3dmap.geojson",
    ):
        started = time.monotonic()
        import_boundaries(shared / name)
        print(f"imported {name}: {time.monotonic() - started:.1f} s")
    return add_points(count)


def add_points(count: int) -> int:
    """Add ``count`` points drawn with a fixed seed inside the 2025 communes of Phú Thọ."""
    import shapely
    from shapely.prepared import prep

    from tinhso.geo.builtin import BOUNDARIES
    from tinhso.geo.models import Layer, MapFeature
    from tinhso.geo.services.features import touch_layer
    from tinhso.text import fold

    communes = MapFeature.objects.filter(
        layer__slug=BOUNDARIES, unit__parent__code="25", valid_to__isnull=True
    ).values_list("geom", flat=True)
    province = shapely.union_all(list(communes))
    inside = prep(province)
    min_x, min_y, max_x, max_y = province.bounds
    layer = Layer.objects.get(slug=LAYER)
    rng = random.Random(SEED)  # noqa: S311 (reproducible test data, not a secret)
    features: list[MapFeature] = []
    while len(features) < count:
        point = shapely.Point(
            round(rng.uniform(min_x, max_x), 7), round(rng.uniform(min_y, max_y), 7)
        )
        if not inside.contains(point):
            continue
        number = len(features)
        name = f"Điểm {number}"
        features.append(
            MapFeature(
                layer=layer,
                geom=point,
                min_x=point.x,
                min_y=point.y,
                max_x=point.x,
                max_y=point.y,
                properties={"ten": name, "loai": KINDS[number % len(KINDS)], "osm_id": str(number)},
                search_text=fold(name),
                external_id=f"bench-{number}",
            )
        )
    MapFeature.objects.bulk_create(features, batch_size=2000)
    touch_layer(layer)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE VIEW {VIEW} AS SELECT id, geom, properties->>'ten' AS ten, "  # noqa: S608 (constants)
            f"properties->>'loai' AS loai, properties->>'osm_id' AS osm_id "
            f"FROM geo_mapfeature WHERE layer_id = {int(layer.pk)}"
        )
        cursor.execute("ANALYZE geo_mapfeature")
    print(f"added {count} points to {LAYER} (layer id {layer.pk}) and the view {VIEW}")
    return int(layer.pk)


def ensure_peer() -> Path:
    """Return pygeoapi's virtualenv, created with the pinned packages when it is missing."""
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        return python
    import gunicorn

    subprocess.run(["python3.11", "-m", "venv", str(PEER_VENV)], check=True)  # noqa: S603,S607
    subprocess.run(  # noqa: S603 (fixed package list, no shell)
        [str(PEER_VENV / "bin" / "pip"), "install", "pygeoapi==0.21.0", "geoalchemy2",
         "pygeofilter", "psycopg2-binary", f"gunicorn=={gunicorn.__version__}"],
        check=True,
    )  # fmt: skip
    return python


PYGEOAPI_CONFIG = """\
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png", attribution: OpenStreetMap}}
logging:
  level: ERROR
metadata:
  identification:
    title: tinhso benchmark peer
    description: pygeoapi serving the benchmark view
    keywords: [benchmark]
    keywords_type: theme
    terms_of_service: https://creativecommons.org/licenses/by/4.0/
    url: http://127.0.0.1
  license: {{name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}}
  provider: {{name: tinhso, url: http://127.0.0.1}}
  contact: {{name: bench, position: bench, address: none, city: none, stateorprovince: none,
    postalcode: "0", country: VN, phone: "0", fax: "0", email: bench@example.org,
    url: http://127.0.0.1, hours: none, instructions: none, role: pointOfContact}}
resources:
  points:
    type: collection
    title: Benchmark points
    description: Synthetic points of the layer {layer}
    keywords: [points]
    extents:
      spatial:
        bbox: [102.0, 20.0, 107.0, 23.0]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: {host}, port: {db_port}, dbname: {dbname}, user: {user},
          password: "{password}", search_path: [public]}}
        id_field: id
        table: {view}
        geom_field: geom
"""


def pygeoapi_environment(url: str, python: Path) -> dict[str, str]:
    parts = urlsplit(url)
    WORK.mkdir(parents=True, exist_ok=True)
    config = WORK / "pygeoapi-config.yml"
    config.write_text(
        PYGEOAPI_CONFIG.format(
            port=PYGEOAPI_PORT,
            layer=LAYER,
            host=parts.hostname or "127.0.0.1",
            db_port=parts.port or 5432,
            dbname=parts.path.lstrip("/"),
            user=parts.username or "postgres",
            password=parts.password or "",
            view=VIEW,
        ),
        encoding="utf-8",
    )
    openapi = WORK / "pygeoapi-openapi.yml"
    env = {key: value for key, value in os.environ.items() if not key.startswith("TINHSO_")}
    env.update(PYGEOAPI_CONFIG=str(config), PYGEOAPI_OPENAPI=str(openapi))
    subprocess.run(  # noqa: S603 (our own command line, no shell)
        [str(python.parent / "pygeoapi"), "openapi", "generate", str(config),
         "--output-file", str(openapi)],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return env


def start(
    name: str, command: list[str], env: dict[str, str], probe: str
) -> subprocess.Popen[bytes]:
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / f"{name}.log").open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command line, no shell)
            command, env=env, cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"{name} did not respond at {probe}; see {WORK / (name + '.log')}")


def gunicorn_command(python: Path, app: str, port: int, workers: int) -> list[str]:
    return [
        str(python), "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "sync", "--access-logfile", "-",
        "--log-level", "warning",
    ]  # fmt: skip


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
        document: dict[str, Any] = json.loads(response.read())
        return document


def check_same_answers(tinhso_base: str, pygeoapi_base: str) -> None:
    """Stop unless both servers match the same number of features for each scenario."""
    for name, query in SCENARIOS:
        ours = fetch_json(f"{tinhso_base}?{query}")
        theirs = fetch_json(f"{pygeoapi_base}?{query}&f=json")
        if ours["numberMatched"] != theirs["numberMatched"]:
            raise SystemExit(
                f"{name}: tinhso matched {ours['numberMatched']}, pygeoapi {theirs['numberMatched']}"
            )
        if ours["numberReturned"] != theirs["numberReturned"]:
            raise SystemExit(f"{name}: the pages differ in length")
        print(f"{name}: both match {ours['numberMatched']} features")


@dataclass(frozen=True)
class Measure:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def run_wrk(url: str, connections: int, duration: int, threads: int) -> Measure:
    script = WORK / "report.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    completed = subprocess.run(  # noqa: S603 (our own command line, no shell)
        [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
         "--timeout", "30s", "-s", str(script), url],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", completed.stdout)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    requests, micros, p50, p95, errors = match.groups()
    return Measure(int(requests), int(micros) / 1e6, float(p50), float(p95), int(errors))


def profile(url: str, query: str, rounds: int) -> Path:
    """Profile tinhso's items view in-process; return the path of the text report."""
    setup_django(url)
    from django.test import Client
    from pyinstrument import Profiler

    client = Client(HTTP_HOST="127.0.0.1")
    path = f"/ogc/collections/{LAYER}/items?{query}"
    client.get(path)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _round in range(rounds):
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]  # noqa: S101 (bench check)
    profiler.stop()
    WORK.mkdir(parents=True, exist_ok=True)
    report = WORK / f"profile-{re.sub(r'[^a-z0-9]+', '-', query)[:40]}.txt"
    report.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    return report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(conninfo(url)) as connection:
        row = connection.execute(b"SELECT version(), postgis_lib_version()").fetchone()
    assert row is not None  # noqa: S101 (bench check)
    return f"{row[0].split(' on ')[0]}, PostGIS {row[1]}"


def results_markdown(
    results: list[tuple[str, Measure, Measure]], args: argparse.Namespace, versions: str
) -> str:
    lines = [
        "## OGC API Features: tinhso against pygeoapi",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine()}; {versions}. "
        f"Load average over 1, 5 and 15 minutes at the end: {load_average()}; the machine "
        "was shared with other work, so the absolute numbers are low and the ratio is the result.",
        "",
        "```",
        f".venv/bin/python bench/bench_ogc_features.py --features {args.features} "
        f"--connections {args.connections} --duration {args.duration} --workers {args.workers}",
        "```",
        "",
        f"{args.features} synthetic points in the layer {LAYER} plus the real boundaries; "
        f"`GET /ogc/collections/{{id}}/items` with bbox={BBOX}. Both servers run under gunicorn "
        f"with {args.workers} sync workers on 127.0.0.1; wrk with {args.connections} connections "
        f"for {args.duration} s per row, servers alternating. Requests per second; latencies in ms.",
        "",
        "| page | tinhso req/s | pygeoapi req/s | ratio | tinhso p50 | tinhso p95 | pygeoapi p50 | pygeoapi p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, ours, theirs in results:
        lines.append(
            f"| {name} | {ours.throughput:.1f} | {theirs.throughput:.1f} | "
            f"{ours.throughput / theirs.throughput:.2f} | {ours.p50_ms:.1f} | {ours.p95_ms:.1f} | "
            f"{theirs.p50_ms:.1f} | {theirs.p95_ms:.1f} |"
        )
    lines += [
        "",
        "The ratio is tinhso's requests per second over pygeoapi's. tinhso also writes one "
        "access-log row per request; pygeoapi returns its pages unordered.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_URL, help="Benchmark database URL.")
    parser.add_argument(
        "--shared-data", type=Path, default=DEFAULT_SHARED, help="Public data folder."
    )
    parser.add_argument(
        "--features", type=int, default=50_000, help="Synthetic points (default 50000)."
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8).")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2).")
    parser.add_argument(
        "--duration", type=int, default=20, help="Seconds per wrk run (default 20)."
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers per server (default 2)."
    )
    parser.add_argument("--reuse", action="store_true", help="Use the database of a --keep run.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--profile", action="store_true", help="Profile tinhso in-process only.")
    parser.add_argument(
        "--write", action="store_true", help="Write the results into docs/benchmarks.md."
    )
    args = parser.parse_args()

    if shutil.which("wrk") is None and not args.profile:
        raise SystemExit("wrk is not installed (Debian package wrk).")
    if not args.reuse:
        create_database(args.postgres_url)
        load_data(args.postgres_url, args.shared_data, args.features)

    if args.profile:
        for _name, query in SCENARIOS:
            print(f"profile written to {profile(args.postgres_url, query, 30)}")
        return

    python = ensure_peer()
    peer_env = pygeoapi_environment(args.postgres_url, python)
    tinhso_env = environment(args.postgres_url)
    tinhso_env["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    servers = [
        start("tinhso", gunicorn_command(Path(sys.executable), "tinhso.wsgi:application",
                                         TINHSO_PORT, args.workers), tinhso_env,
              f"http://127.0.0.1:{TINHSO_PORT}/ogc/"),
        start("pygeoapi", gunicorn_command(python, "pygeoapi.flask_app:APP", PYGEOAPI_PORT,
                                           args.workers), peer_env,
              f"http://127.0.0.1:{PYGEOAPI_PORT}/collections/points?f=json"),
    ]  # fmt: skip
    try:
        tinhso_items = f"http://127.0.0.1:{TINHSO_PORT}/ogc/collections/{LAYER}/items"
        peer_items = f"http://127.0.0.1:{PYGEOAPI_PORT}/collections/points/items"
        check_same_answers(tinhso_items, peer_items)
        results = []
        for name, query in SCENARIOS:
            run_wrk(f"{tinhso_items}?{query}", args.connections, 3, args.threads)  # warm-up
            run_wrk(f"{peer_items}?{query}&f=json", args.connections, 3, args.threads)
            ours = run_wrk(f"{tinhso_items}?{query}", args.connections, args.duration, args.threads)
            theirs = run_wrk(
                f"{peer_items}?{query}&f=json", args.connections, args.duration, args.threads
            )
            for label, measure in (("tinhso", ours), ("pygeoapi", theirs)):
                if measure.errors:
                    raise SystemExit(f"{name}: {label} had {measure.errors} failed requests")
            print(
                f"{name}: tinhso {ours.throughput:.1f} req/s (p50 {ours.p50_ms:.1f} ms, "
                f"p95 {ours.p95_ms:.1f} ms); pygeoapi {theirs.throughput:.1f} req/s "
                f"(p50 {theirs.p50_ms:.1f} ms, p95 {theirs.p95_ms:.1f} ms); "
                f"ratio {ours.throughput / theirs.throughput:.2f}"
            )
            results.append((name, ours, theirs))
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)

    versions = f"{postgres_version(args.postgres_url)}, pygeoapi 0.21.0"
    text = results_markdown(results, args, versions)
    print(text)
    if args.write:
        write_results("ogc", "## OGC API Features against pygeoapi", text.split("\n", 1)[1])
        print("Written to docs/benchmarks.md")
    if not args.keep:
        drop_database(args.postgres_url)


if __name__ == "__main__":
    main()
