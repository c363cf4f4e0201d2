"""The layers every installation starts with: boundaries, OpenStreetMap base layers, phase-1 themes.

Phase 1 of the provincial map serves public security and order, residence management,
traffic safety, fire prevention and rescue. Each thematic layer comes with the attribute
schema its agency fills in; the residential-area layer accepts only aggregate figures.
Built-in layers are created where missing and never overwritten, so an administrator's
changes to names, styles and access stay.
"""

from __future__ import annotations

import logging
from typing import Any

from tinhso.core.models import Role

logger = logging.getLogger(__name__)

BOUNDARIES = "ranh-gioi-hanh-chinh"
OSM_ROADS = "osm-duong-giao-thong"
OSM_WATERWAYS = "osm-song-ngoi"
OSM_PLACES = "osm-dia-danh"
OSM_POIS = "osm-diem-quan-tam"
OSM_LAYERS = (OSM_ROADS, OSM_WATERWAYS, OSM_PLACES, OSM_POIS)

POLICE = [Role.POLICE_OFFICER.value]
STAFF_EDITORS = [Role.DEPARTMENT_OFFICER.value, Role.POLICE_OFFICER.value]


def _field(name: str, kind: str, label: str, label_en: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "label": label, "label_en": label_en, **extra}


NAME = _field("ten", "string", "Tên", "Name", required=True)
ADDRESS = _field("dia_chi", "string", "Địa chỉ", "Address")
PHONE = _field("dien_thoai", "string", "Điện thoại trực", "Duty phone")
STATUS = _field(
    "tinh_trang", "string", "Tình trạng", "Condition", choices=["tốt", "hỏng", "đang sửa chữa"]
)

BUILTIN_LAYERS: list[dict[str, Any]] = [
    {
        "slug": BOUNDARIES,
        "name": "Ranh giới hành chính",
        "name_en": "Administrative boundaries",
        "description": (
            "Ranh giới tỉnh, huyện và xã theo thời gian: trước và sau sắp xếp đơn vị hành chính "
            "ngày 01/7/2025. Lọc theo ngày để xem ranh giới có hiệu lực."
        ),
        "description_en": (
            "Province, district and commune boundaries over time, before and after the "
            "1 July 2025 reorganisation. Filter by date to see the boundaries in force."
        ),
        "kind": "boundaries",
        "group": "Nền",
        "geometry_type": "POLYGON",
        "access_level": "public",
        "schema": [
            _field("ma", "string", "Mã đơn vị", "Unit code"),
            _field("ten", "string", "Tên đơn vị", "Unit name"),
            _field("cap", "string", "Cấp", "Level"),
            _field("loai", "string", "Loại", "Type"),
            _field("dien_tich_km2", "number", "Diện tích (km²)", "Area (km²)"),
        ],
        "label_field": "ten",
        "style": {"color": "#1f4e79", "fill": "#9ecae1", "opacity": 0.25, "width": 1.5},
        "sort_order": 10,
    },
    {
        "slug": OSM_ROADS,
        "name": "Đường giao thông (OpenStreetMap)",
        "name_en": "Roads (OpenStreetMap)",
        "kind": "base",
        "group": "Nền",
        "geometry_type": "LINESTRING",
        "access_level": "public",
        "schema": [
            _field("ten", "string", "Tên đường", "Road name"),
            _field("loai", "string", "Loại đường", "Road class"),
            _field("osm_id", "string", "Mã OSM", "OSM id"),
        ],
        "label_field": "ten",
        "style": {"color": "#7f7f7f", "width": 1.2},
        "sort_order": 20,
    },
    {
        "slug": OSM_WATERWAYS,
        "name": "Sông ngòi, kênh mương (OpenStreetMap)",
        "name_en": "Rivers and canals (OpenStreetMap)",
        "kind": "base",
        "group": "Nền",
        "geometry_type": "LINESTRING",
        "access_level": "public",
        "schema": [
            _field("ten", "string", "Tên", "Name"),
            _field("loai", "string", "Loại", "Kind"),
            _field("osm_id", "string", "Mã OSM", "OSM id"),
        ],
        "label_field": "ten",
        "style": {"color": "#3182bd", "width": 1.5},
        "sort_order": 21,
    },
    {
        "slug": OSM_PLACES,
        "name": "Địa danh (OpenStreetMap)",
        "name_en": "Places (OpenStreetMap)",
        "kind": "base",
        "group": "Nền",
        "geometry_type": "POINT",
        "access_level": "public",
        "schema": [
            _field("ten", "string", "Tên", "Name"),
            _field("loai", "string", "Loại", "Kind"),
            _field("osm_id", "string", "Mã OSM", "OSM id"),
        ],
        "label_field": "ten",
        "style": {"color": "#252525", "radius": 3},
        "sort_order": 22,
    },
    {
        "slug": OSM_POIS,
        "name": "Điểm quan tâm (OpenStreetMap)",
        "name_en": "Points of interest (OpenStreetMap)",
        "kind": "base",
        "group": "Nền",
        "geometry_type": "POINT",
        "access_level": "public",
        "schema": [
            _field("ten", "string", "Tên", "Name"),
            _field("loai", "string", "Loại", "Kind"),
            _field("osm_id", "string", "Mã OSM", "OSM id"),
        ],
        "label_field": "ten",
        "style": {"color": "#636363", "radius": 3},
        "sort_order": 23,
    },
    {
        "slug": "tru-so-cong-an",
        "name": "Trụ sở, đồn công an",
        "name_en": "Police stations and posts",
        "kind": "thematic",
        "group": "An ninh trật tự",
        "geometry_type": "POINT",
        "access_level": "agencies",
        "editor_roles": POLICE,
        "schema": [
            NAME,
            _field("cap", "string", "Cấp", "Level", choices=["tỉnh", "xã", "đồn", "trạm"]),
            ADDRESS,
            PHONE,
            _field("so_can_bo", "integer", "Số cán bộ", "Officers"),
        ],
        "label_field": "ten",
        "style": {"color": "#08306b", "radius": 6},
        "sort_order": 30,
    },
    {
        "slug": "dia-ban-tuan-tra",
        "name": "Địa bàn tuần tra",
        "name_en": "Patrol areas",
        "kind": "thematic",
        "group": "An ninh trật tự",
        "geometry_type": "POLYGON",
        "access_level": "roles",
        "reader_roles": [Role.POLICE_OFFICER.value, Role.PROVINCIAL_LEADER.value],
        "editor_roles": POLICE,
        "schema": [
            NAME,
            _field("don_vi_phu_trach", "string", "Đơn vị phụ trách", "Responsible unit"),
            _field("ca_tuan_tra", "string", "Ca tuần tra", "Patrol shift"),
            _field("chi_huy", "string", "Chỉ huy", "Commander", personal=True),
        ],
        "label_field": "ten",
        "style": {"color": "#2171b5", "fill": "#6baed6", "opacity": 0.2, "width": 2},
        "sort_order": 31,
    },
    {
        "slug": "tram-chua-chay",
        "name": "Trạm, đội phòng cháy chữa cháy",
        "name_en": "Fire stations",
        "kind": "thematic",
        "group": "Phòng cháy, chữa cháy và cứu nạn, cứu hộ",
        "geometry_type": "POINT",
        "access_level": "agencies",
        "editor_roles": POLICE,
        "schema": [
            NAME,
            ADDRESS,
            PHONE,
            _field("so_xe", "integer", "Số xe chữa cháy", "Fire engines"),
        ],
        "label_field": "ten",
        "style": {"color": "#a50f15", "radius": 6},
        "sort_order": 40,
    },
    {
        "slug": "tru-nuoc-chua-chay",
        "name": "Trụ nước và nguồn nước chữa cháy",
        "name_en": "Hydrants and water sources",
        "kind": "thematic",
        "group": "Phòng cháy, chữa cháy và cứu nạn, cứu hộ",
        "geometry_type": "POINT",
        "access_level": "agencies",
        "editor_roles": POLICE,
        "schema": [
            _field(
                "loai",
                "string",
                "Loại",
                "Kind",
                required=True,
                choices=["trụ nước", "bể nước", "ao hồ", "sông suối"],
            ),
            _field("ten", "string", "Tên", "Name"),
            _field("luu_luong_ls", "number", "Lưu lượng (l/s)", "Flow (l/s)"),
            _field("tru_luong_m3", "number", "Trữ lượng (m³)", "Volume (m³)"),
            STATUS,
        ],
        "label_field": "ten",
        "style": {"color": "#e6550d", "radius": 4},
        "sort_order": 41,
    },
    {
        "slug": "luc-luong-cuu-ho",
        "name": "Lực lượng, phương tiện cứu nạn cứu hộ",
        "name_en": "Rescue resources",
        "kind": "thematic",
        "group": "Phòng cháy, chữa cháy và cứu nạn, cứu hộ",
        "geometry_type": "POINT",
        "access_level": "agencies",
        "editor_roles": POLICE,
        "schema": [
            NAME,
            _field("loai", "string", "Loại", "Kind"),
            _field("so_luong", "integer", "Số lượng", "Quantity"),
            PHONE,
        ],
        "label_field": "ten",
        "style": {"color": "#fd8d3c", "radius": 5},
        "sort_order": 42,
    },
    {
        "slug": "diem-tai-nan-giao-thong",
        "name": "Điểm tai nạn giao thông",
        "name_en": "Traffic accident points",
        "kind": "thematic",
        "group": "Trật tự an toàn giao thông",
        "geometry_type": "POINT",
        "access_level": "agencies",
        "editor_roles": POLICE,
        "personal_roles": POLICE,
        "schema": [
            _field("ngay", "date", "Ngày xảy ra", "Date", required=True),
            _field("so_nguoi_chet", "integer", "Số người chết", "Deaths"),
            _field("so_nguoi_bi_thuong", "integer", "Số người bị thương", "Injured"),
            _field("nguyen_nhan", "string", "Nguyên nhân", "Cause"),
            _field("tuyen_duong", "string", "Tuyến đường", "Road"),
            _field("nguoi_dieu_khien", "string", "Người điều khiển", "Driver", personal=True),
        ],
        "label_field": "tuyen_duong",
        "style": {"color": "#de2d26", "radius": 4},
        "sort_order": 50,
    },
    {
        "slug": "diem-den-giao-thong",
        "name": "Điểm đen giao thông",
        "name_en": "Traffic black spots",
        "kind": "thematic",
        "group": "Trật tự an toàn giao thông",
        "geometry_type": "GEOMETRY",
        "access_level": "public",
        "editor_roles": POLICE,
        "schema": [
            NAME,
            _field("tuyen_duong", "string", "Tuyến đường", "Road"),
            _field("so_vu_3_nam", "integer", "Số vụ trong 3 năm", "Accidents in 3 years"),
            _field("bien_phap", "string", "Biện pháp khắc phục", "Remedy"),
        ],
        "label_field": "ten",
        "style": {"color": "#000000", "radius": 6, "width": 4},
        "sort_order": 51,
    },
    {
        "slug": "khu-dan-cu",
        "name": "Khu dân cư (số liệu cư trú tổng hợp)",
        "name_en": "Residential areas (aggregated residence figures)",
        "description": (
            "Chỉ số liệu tổng hợp theo khu dân cư; không đưa thông tin của từng công dân lên bản đồ."
        ),
        "description_en": "Aggregate figures per area only; no individual's record is on the map.",
        "kind": "thematic",
        "group": "Quản lý cư trú",
        "geometry_type": "POLYGON",
        "access_level": "roles",
        "reader_roles": [Role.POLICE_OFFICER.value, Role.PROVINCIAL_LEADER.value],
        "editor_roles": POLICE,
        "attributes_strict": True,
        "schema": [
            NAME,
            _field("so_ho", "integer", "Số hộ", "Households"),
            _field("so_nhan_khau", "integer", "Số nhân khẩu", "Residents"),
            _field("thuong_tru", "integer", "Thường trú", "Permanent residents"),
            _field("tam_tru", "integer", "Tạm trú", "Temporary residents"),
            _field("tam_vang", "integer", "Tạm vắng", "Temporarily absent"),
            _field("ngay_so_lieu", "date", "Ngày số liệu", "Figures as of"),
        ],
        "label_field": "ten",
        "style": {"color": "#54278f", "fill": "#9e9ac8", "opacity": 0.3, "width": 1},
        "sort_order": 60,
    },
]


def ensure_builtin_layers(layer_model: Any) -> int:
    """Create the built-in layers that are missing; return how many were created."""
    existing = set(layer_model.objects.values_list("slug", flat=True))
    missing = [
        layer_model(**definition)
        for definition in BUILTIN_LAYERS
        if definition["slug"] not in existing
    ]
    layer_model.objects.bulk_create(missing)
    return len(missing)
