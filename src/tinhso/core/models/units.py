"""Administrative units valid in time, and the links that record reforms between them."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tinhso.text import fold


class UnitLevel(models.IntegerChoices):
    COUNTRY = 0, _("country")
    PROVINCE = 1, _("province level")
    DISTRICT = 2, _("district level")
    COMMUNE = 3, _("commune level")


# Official codes are zero-padded to a width fixed by level: 26, 243, 08707.
CODE_WIDTH = {UnitLevel.PROVINCE: 2, UnitLevel.DISTRICT: 3, UnitLevel.COMMUNE: 5}


class UnitType(models.TextChoices):
    """Kinds of administrative unit named by the Law on Local Government Organisation.

    The country is a unit too, so that national figures sit beside provincial ones.
    """

    QUOC_GIA = "quoc_gia", _("country")
    TINH = "tinh", _("province")
    THANH_PHO_TRUC_THUOC_TRUNG_UONG = "thanh_pho_tw", _("centrally governed city")
    HUYEN = "huyen", _("rural district")
    QUAN = "quan", _("urban district")
    THI_XA = "thi_xa", _("district-level town")
    THANH_PHO_THUOC_TINH = "thanh_pho_thuoc_tinh", _("provincial city")
    XA = "xa", _("commune")
    PHUONG = "phuong", _("ward")
    THI_TRAN = "thi_tran", _("township")
    DAC_KHU = "dac_khu", _("special zone")


LEVEL_OF_TYPE = {
    UnitType.QUOC_GIA: UnitLevel.COUNTRY,
    UnitType.TINH: UnitLevel.PROVINCE,
    UnitType.THANH_PHO_TRUC_THUOC_TRUNG_UONG: UnitLevel.PROVINCE,
    UnitType.HUYEN: UnitLevel.DISTRICT,
    UnitType.QUAN: UnitLevel.DISTRICT,
    UnitType.THI_XA: UnitLevel.DISTRICT,
    UnitType.THANH_PHO_THUOC_TINH: UnitLevel.DISTRICT,
    UnitType.XA: UnitLevel.COMMUNE,
    UnitType.PHUONG: UnitLevel.COMMUNE,
    UnitType.THI_TRAN: UnitLevel.COMMUNE,
    UnitType.DAC_KHU: UnitLevel.COMMUNE,
}


class LinkKind(models.TextChoices):
    MERGE = "merge", _("merge")
    SPLIT = "split", _("split")
    RENAME = "rename", _("rename")
    TRANSFER = "transfer", _("transfer")


class UnitQuerySet(models.QuerySet["Unit"]):
    def valid_on(self, date: dt.date) -> UnitQuerySet:
        """Units whose validity interval contains ``date`` (both ends inclusive, open ends allowed)."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=date),
            Q(valid_to__isnull=True) | Q(valid_to__gte=date),
        )

    def current(self) -> UnitQuerySet:
        return self.filter(valid_to__isnull=True)

    def search(self, query: str) -> UnitQuerySet:
        """Units with a word starting with each word of ``query``, ignoring case and diacritics.

        Matching word starts keeps "yen" from finding "huyện".
        """
        result = self
        for word in fold(query).split():
            result = result.filter(
                Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
            )
        return result


class Unit(models.Model):
    """An administrative unit (tỉnh, huyện, xã, ...) as it existed between two dates.

    A reform does not edit a unit: it closes the old one (``valid_to``) and links it to the
    units that took its place, so "this commune in 2024" and "the communes that became it"
    are both answerable. The same official code can belong to two units at different times
    (the new Phường Vĩnh Yên reuses 08707 of the old Phường Tích Sơn).
    """

    code = models.CharField(_("code"), max_length=5, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=200, blank=True)
    type = models.CharField(_("type"), max_length=32, choices=UnitType.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    centroid_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    objects: ClassVar[UnitQuerySet] = UnitQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["level", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "level"],
                condition=Q(valid_to__isnull=True),
                name="unit_one_current_per_code",
                violation_error_message=_("A current unit with this code already exists."),
            ),
            models.UniqueConstraint(
                fields=["code", "level", "valid_to"],
                name="unit_unique_code_period",
                violation_error_message=_(
                    "A unit with this code ending on that date already exists."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_interval",
                violation_error_message=_("The end of validity is before its start."),
            ),
        ]
        indexes = [models.Index(fields=["parent", "valid_to"], name="unit_parent_valid_to")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def is_valid_on(self, date: dt.date) -> bool:
        starts = self.valid_from is None or self.valid_from <= date
        ends = self.valid_to is None or self.valid_to >= date
        return starts and ends


class UnitLink(models.Model):
    """A reform step: ``predecessor`` became (all or part of) ``successor`` on ``effective_date``."""

    predecessor = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="successor_links",
        verbose_name=_("predecessor"),
    )
    successor = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="predecessor_links",
        verbose_name=_("successor"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    partly = models.BooleanField(
        _("partly"),
        default=False,
        help_text=_("Only part of the predecessor's area went to the successor."),
    )
    effective_date = models.DateField(_("effective date"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unit succession link")
        verbose_name_plural = _("unit succession links")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="unitlink_unique_pair",
                violation_error_message=_("These two units are already linked."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.kind})"
