"""Boundaries of administrative units."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.geo.fields import GeometryField


class Boundary(models.Model):
    """The outline of one administrative unit, in WGS 84 (EPSG:4326) longitude/latitude.

    The bounding-box columns let SQLite answer bbox queries from an index; PostGIS uses the
    GiST index on ``geom``. ``area_m2`` is computed in the legal TM-3 zone of the province.
    """

    unit = models.OneToOneField(
        "core.Unit",
        on_delete=models.CASCADE,
        related_name="boundary",
        verbose_name=_("administrative unit"),
    )
    geom = GeometryField(_("geometry"), srid=4326, geometry_type="MULTIPOLYGON")
    min_x = models.FloatField(editable=False)
    min_y = models.FloatField(editable=False)
    max_x = models.FloatField(editable=False)
    max_y = models.FloatField(editable=False)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now=True)
    batch = models.ForeignKey(
        "ingest.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")
        indexes = [models.Index(fields=["min_x", "max_x", "min_y", "max_y"], name="boundary_bbox")]

    def __str__(self) -> str:
        return str(self.unit)
