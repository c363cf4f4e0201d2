"""A file cache of encoded tiles, one gzip file per tile, bounded in size. No Django here.

Files rather than database rows: a tile is a blob read whole, the operating system's page
cache keeps the hot ones in memory, and millions of small writes stay out of the database
and its write-ahead log. Paths are ``<root>/<layer>/<revision>/<variant>/<z>/<x>/<y>.mvt.gz``.
The revision changes with every change to the layer, so a changed layer never meets its old
tiles. Writing the first tile of a revision deletes the layer's other revisions, and a size
check every so often deletes the least recently written files above ``max_bytes``.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SUFFIX = ".mvt.gz"
# Pruning deletes files until the cache is this fraction of its limit, so it does not run again
# on the next few writes.
PRUNE_TARGET = 0.75


@dataclass(frozen=True)
class TileKey:
    """Everything a tile's bytes depend on.

    ``revision`` is the layer's version, which grows with every change to its features.
    ``token`` adds what changes the bytes without a new version, such as which attributes are
    hidden. ``variant`` names the date filter and the attribute set.
    """

    layer: str
    revision: int
    token: str
    z: int
    x: int
    y: int
    date: str
    personal: bool

    @property
    def variant(self) -> str:
        return f"{self.date or 'all'}-{'personal' if self.personal else 'public'}-{self.token}"

    @property
    def etag(self) -> str:
        """A weak entity tag: the gzip and the plain body of one key are the same tile."""
        return f'W/"{self.layer}.{self.revision}.{self.variant}.{self.z}.{self.x}.{self.y}"'


def compress(tile: bytes) -> bytes:
    """Gzip a tile; the empty tile stays empty so it can be served without Content-Encoding."""
    if not tile:
        return b""
    # Level 1 is five times faster than level 6 on a 2 MB tile and the result about 6 % larger.
    return gzip.compress(tile, compresslevel=1, mtime=0)


class TileCache:
    """Encoded tiles on disk under ``root``, gzip-compressed, at most about ``max_bytes``."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._written = 0
        self._lock = threading.Lock()

    def path_for(self, key: TileKey) -> Path:
        return (
            self.root
            / key.layer
            / f"v{key.revision}"
            / key.variant
            / str(key.z)
            / str(key.x)
            / f"{key.y}{SUFFIX}"
        )

    def get(self, key: TileKey) -> bytes | None:
        """Return the stored gzip bytes of ``key`` (empty for an empty tile), or None."""
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: TileKey, compressed: bytes) -> None:
        """Store the gzip bytes of ``key``; the first tile of a revision deletes the others."""
        revision_dir = self.root / key.layer / f"v{key.revision}"
        if not revision_dir.exists():
            # Newer revisions go too: after a database restore the current version can be lower
            # than a cached one. A worker that read the layer just before it changed deletes the
            # new revision this way, and the next request for the new revision brings it back.
            self._delete_other_revisions(key)
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a private name first so a concurrent reader never sees half a tile.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_bytes(compressed)
        os.replace(temporary, path)
        self._count_written(len(compressed))

    def _revisions(self, layer: str) -> dict[int, Path]:
        layer_dir = self.root / layer
        if not layer_dir.is_dir():
            return {}
        revisions = {}
        for child in layer_dir.iterdir():
            if child.name.startswith("v") and child.name[1:].isdigit():
                revisions[int(child.name[1:])] = child
        return revisions

    def _delete_other_revisions(self, key: TileKey) -> None:
        for revision, path in self._revisions(key.layer).items():
            if revision != key.revision:
                shutil.rmtree(path, ignore_errors=True)
                logger.info("Deleted cached tiles of layer %s revision %s", key.layer, revision)

    def _count_written(self, size: int) -> None:
        with self._lock:
            self._written += size
            due = self._written >= self.max_bytes // 16
            if due:
                self._written = 0
        if due:
            self.prune()

    def prune(self) -> int:
        """Delete the least recently written tiles above ``max_bytes``; return how many."""
        files: list[tuple[float, int, Path]] = []
        total = 0
        for directory, _subdirs, names in os.walk(self.root):
            for name in names:
                path = Path(directory) / name
                try:
                    status = path.stat()
                except FileNotFoundError:
                    continue  # deleted by another worker meanwhile
                files.append((status.st_mtime, status.st_size, path))
                total += status.st_size
        if total <= self.max_bytes:
            return 0
        files.sort()
        deleted = 0
        target = self.max_bytes * PRUNE_TARGET
        for _mtime, size, path in files:
            if total <= target:
                break
            path.unlink(missing_ok=True)
            total -= size
            deleted += 1
        logger.info("Tile cache over %s bytes: deleted %s tiles", self.max_bytes, deleted)
        return deleted
