"""The units a province-level figure is made of: the province, the provinces that became it,
and its communes."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Unit, UnitLevel, UnitLink
from tinhso.core.services.units import DAY_BEFORE_REFORM, find_unit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProvinceScope:
    """The current province, the former provinces merged into it, and its current communes."""

    province: Unit
    former_province_ids: tuple[int, ...]
    commune_ids: tuple[int, ...]

    @property
    def unit_ids(self) -> list[int]:
        return [self.province.pk, *self.former_province_ids, *self.commune_ids]


# Units change only when reference data is loaded, so each process keeps a scope this long.
SCOPE_CACHE_SECONDS = 60.0
_cache: dict[tuple[str, dt.date], tuple[float, ProvinceScope]] = {}


def province_scope(on_date: dt.date | None = None) -> ProvinceScope | None:
    """Return the scope of the configured province, or None before the reference units are loaded.

    A scope is reused for ``SCOPE_CACHE_SECONDS``, which saves three queries per overview.
    """
    on_date = on_date or timezone.localdate()
    key = (settings.TINHSO_PROVINCE_CODE, on_date)
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < SCOPE_CACHE_SECONDS:
        return cached[1]
    scope = _load_scope(on_date)
    if scope is not None:
        _cache[key] = (time.monotonic(), scope)
    return scope


def clear_scope_cache(**kwargs: object) -> None:
    """Forget the cached scopes; connected to the signals of unit changes and of ``flush``."""
    _cache.clear()


def _load_scope(on_date: dt.date) -> ProvinceScope | None:
    try:
        province = find_unit(settings.TINHSO_PROVINCE_CODE, on_date, level=UnitLevel.PROVINCE)
    except UnknownUnitError:
        return None
    former = tuple(
        UnitLink.objects.filter(successor=province, predecessor__level=UnitLevel.PROVINCE)
        .order_by("predecessor__code")
        .values_list("predecessor_id", flat=True)
    )
    communes = tuple(
        Unit.objects.valid_on(on_date)
        .filter(parent=province, level=UnitLevel.COMMUNE)
        .order_by("code")
        .values_list("id", flat=True)
    )
    return ProvinceScope(province, former, communes)


def old_communes(scope: ProvinceScope, on_date: dt.date = DAY_BEFORE_REFORM) -> list[Unit]:
    """Return the communes of the former provinces valid on ``on_date``, under their districts."""
    province_ids = list(scope.former_province_ids) or [scope.province.pk]
    return list(
        Unit.objects.valid_on(on_date)
        .filter(level=UnitLevel.COMMUNE)
        .filter(parent__parent_id__in=province_ids)
        .select_related("parent")
        .order_by("code")
    )
