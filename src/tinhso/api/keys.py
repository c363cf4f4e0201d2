"""Issuing, checking and rate-limiting API keys."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.api.models import ApiKey, RateWindow, Scope, hash_key
from tinhso.core import audit
from tinhso.core.errors import TinhsoError
from tinhso.core.models import Department

logger = logging.getLogger(__name__)


class ApiKeyError(TinhsoError):
    code = "invalid_api_key"


# Dataset scopes of the sharing API: "share:" and the code of a report regime, e.g. share:ktxh.
SHARE_SCOPE_PREFIX = "share:"
SHARE_SCOPE_PATTERN = re.compile(r"share:[-a-zA-Z0-9_]{1,60}")
# Map layer scopes: "layer:" and a layer identifier, e.g. layer:khu-dan-cu.
LAYER_SCOPE_PATTERN = re.compile(r"layer:[-a-z0-9_]{1,64}")


def is_known_scope(scope: str) -> bool:
    """Return whether ``scope`` is a fixed scope, ``share:<regime code>`` or ``layer:<layer id>``."""
    return (
        scope in Scope.values
        or SHARE_SCOPE_PATTERN.fullmatch(scope) is not None
        or LAYER_SCOPE_PATTERN.fullmatch(scope) is not None
    )


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``raw_key`` is shown once and never stored."""

    api_key: ApiKey
    raw_key: str


def issue_key(
    department: Department,
    scopes: list[str],
    *,
    name: str = "",
    rate_limit_per_minute: int | None = None,
) -> IssuedKey:
    """Create a key for ``department`` with ``scopes``; raise ApiKeyError on an unknown scope."""
    unknown = sorted(scope for scope in set(scopes) if not is_known_scope(scope))
    if unknown:
        raise ApiKeyError(
            _(
                "Unknown scope %(scopes)s. Known scopes: %(known)s, share:CODE for the "
                "dataset of the report regime CODE, and layer:ID for one map layer."
            )
            % {"scopes": ", ".join(unknown), "known": ", ".join(Scope.values)}
        )
    raw_key, prefix = ApiKey.generate()
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            department=department,
            name=name,
            prefix=prefix,
            key_hash=hash_key(raw_key),
            scopes=sorted(set(scopes)),
            rate_limit_per_minute=rate_limit_per_minute,
            created_by=audit.current().user,
        )
    logger.info("API key %s issued to %s with scopes %s", prefix, department.code, api_key.scopes)
    return IssuedKey(api_key=api_key, raw_key=raw_key)


def revoke_key(api_key: ApiKey) -> None:
    with transaction.atomic():
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def find_key(raw_key: str) -> ApiKey | None:
    """Return the key matching ``raw_key``, active or revoked, or None."""
    if not raw_key or len(raw_key) > 200:
        return None
    return ApiKey.objects.select_related("department").filter(key_hash=hash_key(raw_key)).first()


def authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key``, or None."""
    api_key = find_key(raw_key)
    if api_key is None or not api_key.is_active:
        return None
    return api_key


def within_rate_limit(api_key: ApiKey, now: dt.datetime | None = None) -> bool:
    """Count one request in the key's current minute; False once it passes its limit."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    limit = api_key.rate_limit_per_minute or settings.TINHSO_API_DEFAULT_RATE_LIMIT

    updated = RateWindow.objects.filter(api_key=api_key, window_start=window).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                RateWindow.objects.create(api_key=api_key, window_start=window, count=1)
        except IntegrityError:  # another process opened the window first
            RateWindow.objects.filter(api_key=api_key, window_start=window).update(
                count=F("count") + 1
            )
        RateWindow.objects.filter(
            api_key=api_key, window_start__lt=window - dt.timedelta(minutes=5)
        ).delete()
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)

    count = (
        RateWindow.objects.filter(api_key=api_key, window_start=window)
        .values_list("count", flat=True)
        .first()
    )
    return (count or 0) <= limit
