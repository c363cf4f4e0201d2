"""The layer catalogue: built-in layers, the boundaries layer over time, access, schema, edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from shapely.geometry import Point, box, mapping

from tinhso.api import keys
from tinhso.core.models import AuditEvent, Department, Role
from tinhso.geo.boundaries import import_boundaries
from tinhso.geo.builtin import BOUNDARIES, BUILTIN_LAYERS
from tinhso.geo.models import AccessLevel, EditAction, FeatureEdit, Layer, MapFeature
from tinhso.geo.services import access
from tinhso.geo.services.features import (
    FeatureError,
    create_feature,
    delete_feature,
    update_feature,
)
from tinhso.geo.services.schema import clean_properties

pytestmark = pytest.mark.django_db

DISTRICTS = "boundaries/vinhphuc_province_districts_gischinhphu.geojson"
COMMUNES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
HYDRANT = Point(105.597, 21.309)


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


def layer(slug: str) -> Layer:
    return Layer.objects.get(slug=slug)


def test_every_builtin_layer_exists_with_a_schema() -> None:
    slugs = set(Layer.objects.values_list("slug", flat=True))
    assert {item["slug"] for item in BUILTIN_LAYERS} <= slugs
    hydrants = layer("tru-nuoc-chua-chay")
    assert hydrants.geometry_type == "POINT"
    assert hydrants.attribute("loai")["required"] is True
    assert layer("khu-dan-cu").attributes_strict
    assert layer(BOUNDARIES).access_level == AccessLevel.PUBLIC


@pytest.mark.shared_data
def test_boundaries_layer_before_and_after_reform(
    shared_data: Path,
) -> None:
    import_boundaries(shared_data / DISTRICTS)
    import_boundaries(shared_data / COMMUNES)
    features = MapFeature.objects.filter(layer__slug=BOUNDARIES)

    def valid_on(date: dt.date) -> Any:
        return features.exclude(valid_from__gt=date).exclude(valid_to__lt=date)

    before = valid_on(dt.date(2025, 6, 30))
    after = valid_on(dt.date(2025, 7, 1))
    assert before.filter(properties__ma="249").exists()  # Thành phố Vĩnh Yên, a district
    assert not after.filter(properties__ma="249").exists()
    assert after.filter(unit__parent__code="25").count() == 148
    vinh_yen = after.get(search_text="phuong vinh yen")
    assert vinh_yen.geom.intersects(box(105.56, 21.27, 105.62, 21.32))
    assert vinh_yen.properties["dien_tich_km2"] > 0


def test_access_follows_level_roles_and_key_scopes(make_user: Callable[..., Any]) -> None:
    department = Department.objects.create(code="ca-tinh", name="Công an tỉnh")
    police = access.Reader(user=make_user("congan", Role.POLICE_OFFICER))
    officer = access.Reader(user=make_user("canbo", Role.DEPARTMENT_OFFICER, department=department))
    public = access.Reader()
    geo_key = access.Reader(api_key=keys.issue_key(department, ["geo:read"]).api_key)
    layer_key = access.Reader(api_key=keys.issue_key(department, ["layer:khu-dan-cu"]).api_key)

    boundaries, hydrants, residential = (
        layer(BOUNDARIES),
        layer("tru-nuoc-chua-chay"),
        layer("khu-dan-cu"),
    )
    assert [access.can_read(boundaries, r) for r in (public, officer, geo_key)] == [True] * 3
    assert [access.can_read(hydrants, r) for r in (public, officer, geo_key)] == [
        False,
        True,
        True,
    ]
    assert access.can_read(residential, police)
    assert not access.can_read(residential, officer)
    assert not access.can_read(residential, geo_key)
    assert access.can_read(residential, layer_key)
    assert "khu-dan-cu" not in access.readable_layers(public).values_list("slug", flat=True)


def test_personal_attributes_hidden_from_officer(
    make_user: Callable[..., Any],
) -> None:
    department = Department.objects.create(code="so-gtvt", name="Sở Giao thông vận tải")
    accidents = layer("diem-tai-nan-giao-thong")
    properties = {"ngay": "2026-11-02", "nguoi_dieu_khien": "Nguyễn Văn A", "so_nguoi_chet": 1}
    officer = access.Reader(user=make_user("canbo", Role.DEPARTMENT_OFFICER, department=department))
    police = access.Reader(user=make_user("congan", Role.POLICE_OFFICER))
    assert "nguoi_dieu_khien" not in access.visible_properties(accidents, properties, officer)
    assert access.visible_properties(accidents, properties, police) == properties


def test_schema_converts_text_names_field() -> None:
    hydrants = layer("tru-nuoc-chua-chay")
    cleaned = clean_properties(hydrants, {"loai": "trụ nước", "luu_luong_ls": "1.234,5"})
    assert cleaned["luu_luong_ls"] == 1234.5
    with pytest.raises(FeatureError, match="luu_luong_ls"):
        clean_properties(hydrants, {"loai": "trụ nước", "luu_luong_ls": "nhiều"})
    with pytest.raises(FeatureError, match="loai"):
        clean_properties(hydrants, {"ten": "Trụ số 3"})
    with pytest.raises(FeatureError, match="ho_ten"):
        clean_properties(layer("khu-dan-cu"), {"ten": "Tổ 5", "ho_ten": "Nguyễn Văn A"})


def test_edits_keep_history(
    make_user: Callable[..., Any],
) -> None:
    editor = make_user("congan", Role.POLICE_OFFICER)
    hydrants = layer("tru-nuoc-chua-chay")
    version = hydrants.version

    feature = create_feature(hydrants, mapping(HYDRANT), {"loai": "trụ nước"}, editor)
    feature_id = feature.pk
    moved = update_feature(feature, editor, geometry=Point(105.6, 21.31), comment="đo lại")
    update_feature(moved, editor, properties={"loai": "trụ nước", "tinh_trang": "hỏng"})
    delete_feature(moved, editor)

    edits = list(FeatureEdit.objects.filter(feature_ref=feature_id).order_by("id"))
    assert [edit.action for edit in edits] == [
        EditAction.CREATE,
        EditAction.UPDATE,
        EditAction.UPDATE,
        EditAction.DELETE,
    ]
    assert edits[1].before["geometry"]["coordinates"] == [105.597, 21.309]
    assert edits[1].after["geometry"]["coordinates"] == [105.6, 21.31]
    assert edits[1].comment == "đo lại"
    assert edits[2].after["properties"]["tinh_trang"] == "hỏng"
    assert all(edit.user == editor for edit in edits)
    assert not MapFeature.objects.filter(pk=feature_id).exists()
    assert AuditEvent.objects.filter(object_type="geo.mapfeature").count() == 4
    hydrants.refresh_from_db()
    assert hydrants.version == version + 4


def test_wrong_geometry_type_rejected(make_user: Callable[..., Any]) -> None:
    with pytest.raises(FeatureError, match="point"):
        create_feature(
            layer("tru-nuoc-chua-chay"),
            box(105.5, 21.2, 105.6, 21.3),
            {"loai": "trụ nước"},
            make_user("congan", Role.POLICE_OFFICER),
        )


def test_editing_needs_owner_editor_role(make_user: Callable[..., Any]) -> None:
    police_department = Department.objects.create(code="ca-tinh", name="Công an tỉnh")
    other = Department.objects.create(code="so-xd", name="Sở Xây dựng")
    hydrants = layer("tru-nuoc-chua-chay")
    hydrants.owner = police_department
    hydrants.save()
    assert access.can_edit(
        hydrants, make_user("ca", Role.POLICE_OFFICER, department=police_department)
    )
    assert not access.can_edit(hydrants, make_user("cb", Role.POLICE_OFFICER, department=other))
    assert not access.can_edit(hydrants, make_user("ld", Role.PROVINCIAL_LEADER))


def test_layer_form_names_schema_faults() -> None:
    from tinhso.geo.admin import LayerForm

    data = {
        "slug": "cot-dien",
        "name": "Cột điện",
        "kind": "thematic",
        "geometry_type": "POINT",
        "schema": '[{"name": "Ten cot", "type": "text"}, {"name": "cao_m", "type": "number"}]',
        "legal_crs": "EPSG:4326",
        "access_level": "agencies",
        "reader_roles": "[]",
        "editor_roles": '["lineman"]',
        "personal_roles": "[]",
        "style": "{}",
        "min_zoom": 0,
        "max_zoom": 22,
        "sort_order": 100,
    }
    form = LayerForm(data=data)
    assert not form.is_valid()
    schema_errors = form.errors["schema"]
    assert "'Ten cot' must start with a lower-case letter" in schema_errors[0]
    assert "unknown type 'text'" in schema_errors[1]
    assert "police_officer" in form.errors["editor_roles"][0]
    assert "projected" in form.errors["legal_crs"][0]
