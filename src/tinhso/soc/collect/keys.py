"""Per-source keys of JSON lines over HTTP: issue, rotate and check them.

A key is sent as ``Authorization: Bearer KEY``. Only its SHA-256 is stored, hashed as the
agencies' API keys are (:func:`tinhso.api.models.hash_key`). ``key_prefix``, the first 12
characters, finds the source through an index and names the key in logs and pages.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from django.db import transaction

from tinhso.api.models import hash_key
from tinhso.core import audit
from tinhso.core.models import AuditAction
from tinhso.soc.models import LogSource

logger = logging.getLogger(__name__)

KEY_PREFIX = "soc"
PREFIX_LENGTH = len(KEY_PREFIX) + 1 + 8
MAX_KEY_LENGTH = 200


def generate_key() -> tuple[str, str]:
    """Return a new random key and its public prefix."""
    prefix = f"{KEY_PREFIX}_{secrets.token_hex(4)}"
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def set_new_key(source: LogSource) -> str:
    """Give ``source`` a new key, which replaces the old one at once; return the key."""
    raw_key, prefix = generate_key()
    source.key_prefix = prefix
    source.key_hash = hash_key(raw_key)
    return raw_key


def rotate_key(source: LogSource) -> str:
    """Replace the key of ``source`` and audit it; the old key stops working at commit."""
    with transaction.atomic():
        old_prefix = source.key_prefix
        raw_key = set_new_key(source)
        source.save(update_fields=["key_prefix", "key_hash"])
        audit.record(
            AuditAction.UPDATE,
            source,
            before={"key_prefix": old_prefix},
            after={"key_prefix": source.key_prefix},
            extra={"changed_secrets": ["key_hash"], "action": "rotate_key"},
        )
    logger.info(
        "Key of log source %s (%s) rotated to %s", source.pk, source.host, prefix_of(raw_key)
    )
    return raw_key


def prefix_of(raw_key: str) -> str:
    return raw_key[:PREFIX_LENGTH]


def find_source(raw_key: str) -> LogSource | None:
    """Return the source whose current key is ``raw_key``, enabled or not, or None."""
    if not raw_key or len(raw_key) > MAX_KEY_LENGTH or not raw_key.startswith(f"{KEY_PREFIX}_"):
        return None
    digest = hash_key(raw_key)
    candidates = LogSource.objects.select_related("agency").filter(key_prefix=prefix_of(raw_key))
    for source in candidates:
        if source.key_hash and hmac.compare_digest(source.key_hash, digest):
            return source
    return None
