"""Benchmark: the platform's vector tiles (``/tiles/...``) against TiPg on the same PostGIS data.

Run from the repository root (the PostgreSQL user must be allowed to create databases)::

    .venv/bin/python bench/bench_tiles.py --points 50000 --repeat 3 --concurrency 8

What it does, in one run:

1. Creates the database ``tinhso_bench_tiles`` with PostGIS, migrates it, loads the reference
   units and imports the real boundary files (old Vĩnh Phúc districts, Phú Thọ communes of 2025)
   with ``import_boundaries``, which fills the boundaries layer. Adds a public point layer of
   ``--points`` features at deterministic random places inside the old Vĩnh Phúc districts.
2. Creates one view per layer in the schema ``bench_tipg`` for TiPg, with the same features
   (the boundaries valid today) and the attributes as columns.
3. Creates the virtualenv ``var/peers/tipg`` with TiPg from PyPI if it is missing. TiPg is a
   peer for comparison, never a dependency of the platform.
4. Starts ``tinhso serve --workers 1`` and ``uvicorn tipg.main:app --workers 1``, both uvicorn
   with one worker on 127.0.0.1, TiPg with the same tile buffer (64) and no feature limit.
5. Cold: every tile of the set (both layers, every tile over the old Vĩnh Phúc at zooms
   ``--zooms``) requested once, one at a time, our tile cache emptied first. Two rounds,
   alternating the peers; p50 and p95 latency over both rounds.
6. Repeated views: the same set ``--repeat`` times with ``--concurrency`` requests in flight;
   tiles per second. Our tiles come from the tile cache; TiPg encodes each request again.

The client sends ``Accept-Encoding: gzip`` (both peers compress). The client runs on the same
machine as both servers and PostgreSQL, so all of them share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import math
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postgis_database import conninfo, create_database
from results_page import write_results

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))

SHARED_DATA = REPOSITORY.parent / "shared" / "data"
DISTRICTS = "boundaries/vinhphuc_province_districts_gischinhphu.geojson"
COMMUNES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
TIPG_VENV = REPOSITORY / "var" / "peers" / "tipg"
TIPG_REQUIREMENT = "tipg>=1.6,<2"
DATA_DIR = REPOSITORY / "var" / "bench-tiles"
POINTS_LAYER = "bench-diem"
SECRET_KEY = secrets.token_urlsafe(48)


# --- Setup ---------------------------------------------------------------------------------


def environment(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TINHSO_")}
    env.update(
        TINHSO_DATABASE_URL=url,
        TINHSO_SECRET_KEY=SECRET_KEY,
        TINHSO_DATA_DIR=str(DATA_DIR),
        TINHSO_ALLOWED_HOSTS="127.0.0.1,localhost",
        TINHSO_SECURE_COOKIES="0",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="tinhso.settings",
    )
    return env


def setup_django(url: str) -> None:
    os.environ.update(environment(url))
    import django

    django.setup()
    # The client's own request log would cost time in the measured loop.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def load_data(points: int) -> None:
    """Migrate, load units, import the real boundaries and write the synthetic point layer."""
    from django.core.management import call_command

    from tinhso.core.services.history import apply_transfers
    from tinhso.core.services.reference import load_reference_units
    from tinhso.geo.boundaries import import_boundaries

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    load_reference_units()
    apply_transfers()
    import_boundaries(SHARED_DATA / DISTRICTS)
    import_boundaries(SHARED_DATA / COMMUNES)
    write_points(points)
    print(f"Data loaded in {time.monotonic() - started:.0f} s")


def old_province_outline() -> Any:
    """Return the union of the old Vĩnh Phúc's districts, a shapely geometry in lon/lat."""
    import shapely

    return shapely.union_all(
        [
            shapely.geometry.shape(feature["geometry"])
            for feature in _read_geojson(SHARED_DATA / DISTRICTS)["features"]
        ]
    )


def _read_geojson(path: Path) -> dict[str, Any]:
    import json

    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


def write_points(count: int) -> None:
    """Write a public layer of ``count`` seeded random points inside the old Vĩnh Phúc, in bulk."""
    import shapely
    from shapely.geometry import Point

    from tinhso.geo.models import Layer, MapFeature
    from tinhso.geo.services.features import prepare_feature, touch_layer

    layer = Layer.objects.create(
        slug=POINTS_LAYER,
        name="Điểm thử nghiệm",
        name_en="Benchmark points",
        geometry_type="POINT",
        access_level="public",
        schema=[
            {"name": "ten", "type": "string"},
            {"name": "loai", "type": "string"},
            {"name": "so", "type": "integer"},
        ],
    )
    outline = old_province_outline()
    shapely.prepare(outline)
    west, south, east, north = outline.bounds
    generator = random.Random(2025)  # noqa: S311 (test data, not secrets)
    kinds = ["trụ nước", "bể nước", "ao hồ", "sông suối"]
    features: list[Any] = []
    while len(features) < count:
        point = Point(generator.uniform(west, east), generator.uniform(south, north))
        if not outline.contains(point):
            continue
        number = len(features)
        feature = MapFeature(
            layer=layer,
            properties={"ten": f"Điểm {number}", "loai": kinds[number % 4], "so": number},
        )
        features.append(prepare_feature(feature, point))
    MapFeature.objects.bulk_create(features, batch_size=5000)
    touch_layer(layer)


TIPG_VIEWS = """
DROP SCHEMA IF EXISTS bench_tipg CASCADE;
CREATE SCHEMA bench_tipg;
CREATE VIEW bench_tipg.ranh_gioi AS
    SELECT f.id, f.geom,
        f.properties->>'ma' AS ma, f.properties->>'ten' AS ten, f.properties->>'cap' AS cap,
        f.properties->>'loai' AS loai, (f.properties->>'dien_tich_km2')::float8 AS dien_tich_km2
    FROM geo_mapfeature f JOIN geo_layer l ON l.id = f.layer_id
    WHERE l.slug = 'ranh-gioi-hanh-chinh'
        AND (f.valid_from IS NULL OR f.valid_from <= {today})
        AND (f.valid_to IS NULL OR f.valid_to >= {today});
CREATE VIEW bench_tipg.diem AS
    SELECT f.id, f.geom,
        f.properties->>'ten' AS ten, f.properties->>'loai' AS loai,
        (f.properties->>'so')::int AS so
    FROM geo_mapfeature f JOIN geo_layer l ON l.id = f.layer_id
    WHERE l.slug = 'bench-diem';
ANALYZE geo_mapfeature;
"""


def create_tipg_views(url: str) -> None:
    import psycopg
    from django.utils import timezone

    # The date is ours, not input, so it is written into the statement as a literal.
    today = f"DATE '{timezone.localdate().isoformat()}'"
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        for statement in TIPG_VIEWS.split(";"):
            if statement.strip():
                connection.execute(statement.replace("{today}", today).encode())


def ensure_tipg() -> Path:
    """Return TiPg's uvicorn, creating the virtualenv var/peers/tipg first if it is missing."""
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    if uvicorn.exists():
        return uvicorn
    print(f"Creating {TIPG_VENV} with {TIPG_REQUIREMENT}")
    subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)  # noqa: S603
    pip = TIPG_VENV / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", TIPG_REQUIREMENT, "uvicorn"], check=True)  # noqa: S603
    return uvicorn


# --- Servers -------------------------------------------------------------------------------


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"{url} did not respond within 90 s; see {log}")


def start_ours(url: str, port: int) -> subprocess.Popen[bytes]:
    log = DATA_DIR / "serve.log"
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command line, no shell)
            [sys.executable, "-m", "tinhso", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            env=environment(url), cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_for(f"http://127.0.0.1:{port}/tiles/style.json", process, log)
    return process


def start_tipg(url: str, port: int, uvicorn: Path) -> subprocess.Popen[bytes]:
    log = DATA_DIR / "tipg.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("TINHSO_")}
    env.update(
        DATABASE_URL=conninfo(url),
        TIPG_DB_SCHEMAS='["bench_tipg"]',
        TIPG_TILE_BUFFER="64",
        TIPG_MAX_FEATURES_PER_TILE="1000000",
        TIPG_DB_SPATIAL_EXTENT="false",
        TIPG_DB_DATETIME_EXTENT="false",
    )
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command line, no shell)
            [str(uvicorn), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--log-level", "info"],
            env=env, cwd=DATA_DIR, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_for(f"http://127.0.0.1:{port}/collections", process, log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


# --- Tiles ---------------------------------------------------------------------------------


def tile_range(
    west: float, south: float, east: float, north: float, z: int
) -> list[tuple[int, int]]:
    count = 1 << z

    def column(lon: float) -> int:
        return min(count - 1, int((lon + 180.0) / 360.0 * count))

    def row(lat: float) -> int:
        return min(
            count - 1, int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * count)
        )

    return [
        (x, y)
        for x in range(column(west), column(east) + 1)
        for y in range(row(north), row(south) + 1)
    ]


@dataclass(frozen=True)
class Peer:
    name: str
    base: str
    paths: list[str]


def tile_paths(zooms: range) -> tuple[list[str], list[str]]:
    """Return the tile paths of both layers over the old Vĩnh Phúc: ours, then TiPg's."""
    west, south, east, north = old_province_outline().bounds
    ours, tipg = [], []
    for z in zooms:
        for x, y in tile_range(west, south, east, north, z):
            for slug, view in (("ranh-gioi-hanh-chinh", "ranh_gioi"), (POINTS_LAYER, "diem")):
                ours.append(f"/tiles/{slug}/{z}/{x}/{y}.pbf")
                tipg.append(f"/collections/bench_tipg.{view}/tiles/WebMercatorQuad/{z}/{x}/{y}")
    return ours, tipg


async def fetch_all(base: str, paths: list[str], concurrency: int) -> tuple[list[float], int]:
    """Request ``paths`` with ``concurrency`` in flight; return the latencies and the bytes received."""
    import httpx

    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []
    sizes = [0]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            path = queue.get_nowait()
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code not in {200, 204}:
                raise SystemExit(f"{base}{path}: {response.status_code} {response.text[:300]}")
            sizes[0] += len(response.content)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, sizes[0]


def count_features(base: str, paths: list[str]) -> int:
    """Decode every tile of ``paths`` and count its features (the peers' work must match)."""
    import httpx
    import mapbox_vector_tile

    total = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths:
            content = client.get(path).content
            if content:
                for layer in mapbox_vector_tile.decode(content).values():
                    total += len(layer["features"])
    return total


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def empty_our_cache() -> None:
    shutil.rmtree(DATA_DIR / "tiles", ignore_errors=True)


def measure(peers: list[Peer], repeat: int, concurrency: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {peer.name: {} for peer in peers}
    cold: dict[str, list[float]] = {peer.name: [] for peer in peers}

    # PostgreSQL's buffers are warmed once through TiPg so that neither peer pays for disk reads.
    asyncio.run(fetch_all(peers[1].base, peers[1].paths, concurrency))
    for round_number in range(2):
        for peer in peers if round_number == 0 else peers[::-1]:
            if peer.name == "tinhso":
                empty_our_cache()
            latencies, _size = asyncio.run(fetch_all(peer.base, peer.paths, 1))
            cold[peer.name] += latencies
    for peer in peers:
        results[peer.name]["cold_p50_ms"] = statistics.median(cold[peer.name]) * 1000
        results[peer.name]["cold_p95_ms"] = percentile(cold[peer.name], 0.95) * 1000
        results[peer.name]["cold_max_ms"] = max(cold[peer.name]) * 1000

    for peer in peers:
        paths = peer.paths * repeat
        started = time.perf_counter()
        latencies, size = asyncio.run(fetch_all(peer.base, paths, concurrency))
        elapsed = time.perf_counter() - started
        results[peer.name]["repeat_tiles_per_s"] = len(paths) / elapsed
        results[peer.name]["repeat_p95_ms"] = percentile(latencies, 0.95) * 1000
        results[peer.name]["repeat_mb"] = size / 1e6
    return results


# --- Report --------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def tipg_version() -> str:
    output = subprocess.run(  # noqa: S603
        [str(TIPG_VENV / "bin" / "python"), "-c", "import tipg; print(tipg.__version__)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return output.stdout.strip() or "unknown"


def postgis_version(url: str) -> str:
    import psycopg

    with psycopg.connect(conninfo(url)) as connection:
        row = connection.execute(
            b"SELECT postgis_lib_version(), current_setting('server_version')"
        ).fetchone()
    return f"PostgreSQL {row[1]}, PostGIS {row[0]}" if row else "unknown"


def report(
    results: dict[str, dict[str, float]],
    args: argparse.Namespace,
    tiles: int,
    features: dict[str, int],
    url: str,
) -> str:
    ours, tipg = results["tinhso"], results["tipg"]
    cold_ratio = ours["cold_p95_ms"] / tipg["cold_p95_ms"]
    repeat_ratio = ours["repeat_tiles_per_s"] / tipg["repeat_tiles_per_s"]
    command = " ".join(["python", "bench/bench_tiles.py", *sys.argv[1:]])
    rows = [
        ("cold p50 (ms)", "cold_p50_ms", ".1f"),
        ("cold p95 (ms)", "cold_p95_ms", ".1f"),
        ("cold max (ms)", "cold_max_ms", ".1f"),
        (f"repeated views, tiles/s ({args.concurrency} in flight)", "repeat_tiles_per_s", ".0f"),
        ("repeated views p95 (ms)", "repeat_p95_ms", ".1f"),
        ("repeated views, MB received", "repeat_mb", ".1f"),
    ]
    lines = [
        "## Vector tiles: `bench_tiles.py`",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; the client, both servers and PostgreSQL share these cores, "
        "and other work ran on the machine at the same time.",
        f"- Database: {postgis_version(url)}; TiPg {tipg_version()} in `var/peers/tipg`.",
        f"- Command: `{command}`",
        f"- Tile set: {tiles} tiles, the boundaries layer (features valid today) and "
        f"{args.points:,} synthetic points, every tile over the old Vĩnh Phúc at zooms "
        f"{args.zooms}. Features in the set: tinhso {features['tinhso']:,}, TiPg {features['tipg']:,}.",
        "- Servers: `tinhso serve --workers 1` and `uvicorn tipg.main:app --workers 1`, both on "
        "127.0.0.1; TiPg with tile buffer 64 and no feature limit per tile.",
        "",
        "| measure | tinhso | TiPg |",
        "|---|---:|---:|",
    ]
    for label, key, spec in rows:
        lines.append(f"| {label} | {format(ours[key], spec)} | {format(tipg[key], spec)} |")
    lines += [
        "",
        f"- Cold p95, tinhso / TiPg: {cold_ratio:.2f} (goal at most 1.5: "
        f"{'met' if cold_ratio <= 1.5 else 'not met'}).",
        f"- Repeated views throughput, tinhso / TiPg: {repeat_ratio:.2f} (goal at least 1.0: "
        f"{'met' if repeat_ratio >= 1.0 else 'not met'}).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgres-url",
        default="postgis://postgres@127.0.0.1:5432/tinhso_bench_tiles",
        help="PostgreSQL server and the name of the database to create (it is dropped first).",
    )
    parser.add_argument(
        "--points", type=int, default=50_000, help="Synthetic points (default 50,000)."
    )
    parser.add_argument(
        "--zooms", default="8-13", help="Zoom levels of the tile set (default 8-13)."
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="Passes of repeated views (default 3)."
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="Requests in flight for repeated views (default 8).",
    )
    parser.add_argument(
        "--port", type=int, default=8771, help="Port of tinhso serve (default 8771)."
    )
    parser.add_argument("--tipg-port", type=int, default=8772, help="Port of TiPg (default 8772).")
    parser.add_argument(
        "--skip-load", action="store_true", help="Reuse the database of an earlier run."
    )
    parser.add_argument(
        "--write", action="store_true", help="Write the results into docs/benchmarks.md."
    )
    args = parser.parse_args()
    first, last = (int(part) for part in args.zooms.split("-"))

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    uvicorn = ensure_tipg()
    if not args.skip_load:
        create_database(args.postgres_url)
    setup_django(args.postgres_url)
    if not args.skip_load:
        load_data(args.points)
    create_tipg_views(args.postgres_url)

    ours_paths, tipg_paths = tile_paths(range(first, last + 1))
    ours = start_ours(args.postgres_url, args.port)
    try:
        tipg = start_tipg(args.postgres_url, args.tipg_port, uvicorn)
        try:
            peers = [
                Peer("tinhso", f"http://127.0.0.1:{args.port}", ours_paths),
                Peer("tipg", f"http://127.0.0.1:{args.tipg_port}", tipg_paths),
            ]
            features = {peer.name: count_features(peer.base, peer.paths) for peer in peers}
            results = measure(peers, args.repeat, args.concurrency)
        finally:
            stop(tipg)
    finally:
        stop(ours)

    text = report(results, args, len(ours_paths), features, args.postgres_url)
    print(text)
    if args.write:
        write_results("tiles", "## Vector tiles against TiPg", text.split("\n", 1)[1])
        print("Written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
