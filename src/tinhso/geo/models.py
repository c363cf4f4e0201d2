"""Map data: boundaries of administrative units, and the layers of the provincial map.

Every layer's features live in one table, :class:`MapFeature`, in WGS 84 longitude/latitude
(what OGC API Features, the tiles and the web map serve); the layer names the legal VN-2000
TM-3 zone in which its lengths and areas are measured. Attributes are a JSON object checked
against the layer's schema, so an agency adds a layer without a migration.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
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


class AccessLevel(models.TextChoices):
    """The readers of a layer. Editing is a separate right (``Layer.editor_roles``)."""

    PUBLIC = "public", _("public: anyone, without an account or key")
    AGENCIES = "agencies", _("agencies: any staff account, or an API key with geo:read")
    ROLES = "roles", _("named roles: the listed roles, or an API key with this layer's scope")


class LayerKind(models.TextChoices):
    BOUNDARIES = "boundaries", _("administrative boundaries")
    BASE = "base", _("base map (OpenStreetMap)")
    THEMATIC = "thematic", _("thematic")


class GeometryKind(models.TextChoices):
    POINT = "POINT", _("point")
    LINESTRING = "LINESTRING", _("line")
    POLYGON = "POLYGON", _("polygon")
    GEOMETRY = "GEOMETRY", _("any geometry")


class Layer(models.Model):
    """One layer of the provincial map; its ``slug`` is the OGC collection id and the tile layer.

    ``schema`` lists the attributes: ``[{"name", "type", "label", "label_en", "personal",
    "required", "choices"}]`` with type one of string, integer, number, date, boolean.
    Attributes marked ``personal`` are removed from every response unless the reader may see
    personal data. A ``strict`` schema (``attributes_strict``) refuses attributes it does not
    list, which keeps individual records off aggregate layers such as residential areas.

    ``version`` grows with every change to the layer's features; tile caches key on it.
    """

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    name = models.CharField(_("Vietnamese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("Vietnamese description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=LayerKind.choices, default=LayerKind.THEMATIC
    )
    group = models.CharField(
        _("group"), max_length=100, blank=True, help_text=_("Folder of the layer tree.")
    )
    owner = models.ForeignKey(
        "core.Department",
        verbose_name=_("owner agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="map_layers",
    )
    geometry_type = models.CharField(
        _("geometry type"), max_length=16, choices=GeometryKind.choices
    )
    schema = models.JSONField(_("attribute schema"), default=list, blank=True)
    attributes_strict = models.BooleanField(
        _("only the listed attributes"),
        default=False,
        help_text=_("Refuse attributes the schema does not list."),
    )
    legal_crs = models.CharField(
        _("legal CRS"),
        max_length=32,
        default="EPSG:9208",
        help_text=_("VN-2000 TM-3 zone in which lengths and areas are measured."),
    )
    access_level = models.CharField(
        _("access level"), max_length=16, choices=AccessLevel.choices, default=AccessLevel.AGENCIES
    )
    reader_roles = models.JSONField(
        _("roles that may read"),
        default=list,
        blank=True,
        help_text=_("For the access level 'named roles'."),
    )
    editor_roles = models.JSONField(
        _("roles that may edit"),
        default=list,
        blank=True,
        help_text=_("Members of the owner agency with these roles edit features in the browser."),
    )
    personal_roles = models.JSONField(
        _("roles that see personal attributes"), default=list, blank=True
    )
    style = models.JSONField(
        _("style"),
        default=dict,
        blank=True,
        help_text=_(
            'Colours and sizes: {"color": "#c0392b", "width": 2, "radius": 5, "opacity": 0.6}.'
        ),
    )
    label_field = models.CharField(_("label attribute"), max_length=64, blank=True)
    min_zoom = models.PositiveSmallIntegerField(_("minimum zoom"), default=0)
    max_zoom = models.PositiveSmallIntegerField(_("maximum zoom"), default=22)
    sort_order = models.PositiveIntegerField(_("order"), default=100)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("map layer")
        verbose_name_plural = _("map layers")
        ordering = ["sort_order", "slug"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language, Vietnamese when no English name is set."""
        if (get_language() or "vi").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def display_description(self) -> str:
        if (get_language() or "vi").startswith("en") and self.description_en:
            return self.description_en
        return self.description

    def attribute(self, name: str) -> dict[str, Any] | None:
        return next((field for field in self.schema if field.get("name") == name), None)

    @property
    def personal_attributes(self) -> frozenset[str]:
        return frozenset(field["name"] for field in self.schema if field.get("personal"))


class MapFeature(models.Model):
    """One feature of a layer, in WGS 84, with the bounding box that SQLite filters on.

    ``valid_from`` and ``valid_to`` (both inclusive, as on units) bound the time the feature describes; the
    boundaries layer takes them from the units' validity, so one layer serves any date.
    ``external_id`` is the identifier in the source (OSM id, feature id of a file) and makes a
    repeated import update features instead of adding them twice. ``search_text`` is the label
    folded to ASCII lower case for search that ignores diacritics.
    """

    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="features", verbose_name=_("layer")
    )
    geom = GeometryField(_("geometry"), srid=4326)
    min_x = models.FloatField(editable=False)
    min_y = models.FloatField(editable=False)
    max_x = models.FloatField(editable=False)
    max_y = models.FloatField(editable=False)
    properties = models.JSONField(_("attributes"), default=dict, blank=True)
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name=_("administrative unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="map_features",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    external_id = models.CharField(_("source identifier"), max_length=100, blank=True)
    search_text = models.CharField(max_length=300, blank=True, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    batch = models.ForeignKey(
        "ingest.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("map feature")
        verbose_name_plural = _("map features")
        ordering = ["layer", "id"]
        indexes = [
            models.Index(fields=["layer", "min_x", "max_x", "min_y", "max_y"], name="feature_bbox"),
            models.Index(fields=["layer", "external_id"], name="feature_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.layer.slug}/{self.pk}"


class EditAction(models.TextChoices):
    CREATE = "create", _("added")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")


class FeatureEdit(models.Model):
    """One edit of a feature: who, when, and the feature before and after as GeoJSON.

    Kept when the feature is deleted (``feature`` becomes null, ``feature_ref`` stays).
    """

    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="edits", verbose_name=_("layer")
    )
    feature = models.ForeignKey(
        MapFeature,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="edits",
        verbose_name=_("feature"),
    )
    feature_ref = models.PositiveBigIntegerField(_("feature number"))
    action = models.CharField(_("action"), max_length=16, choices=EditAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("feature edit")
        verbose_name_plural = _("feature edits")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.layer_id}/{self.feature_ref}"
