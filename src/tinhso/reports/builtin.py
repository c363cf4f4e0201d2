"""The built-in regime ``ktxh``: the socio-economic situation report (báo cáo tình hình KT-XH).

Its outline reads the General Statistics Office tables (``tinhso ioc import-gso``) and the
Ministry of Finance budget file (``tinhso ioc import FILE --group ns-mof``) of Vĩnh Phúc,
whose province code is 26. ``ensure_builtin_regimes`` runs after every ``migrate`` (so after
``tinhso setup``); it creates the regime once and never overwrites an edited outline.
"""

from __future__ import annotations

import logging
from typing import Any

from tinhso.reports.models import ReportRegime

logger = logging.getLogger(__name__)

KTXH = "ktxh"
VINH_PHUC_CODE = "26"

# Indicator codes of the GSO tables, as ``tinhso ioc import-gso`` creates them.
IIP = "gso.index-of-industrial-production-by-province"
RETAIL = "gso.retail-sales-of-goods-and-services-at-current-prices-by-province"
MARKETS = "gso.number-of-markets-as-of-annual-december-31st-by-province"
SUPERMARKETS = "gso.number-of-supermarkets-as-of-annual-december-31st-by-province"
CEREALS = "gso.production-of-cereals-by-province"
PADDY = "gso.production-of-paddy-by-province"
PADDY_YIELD = "gso.yield-of-paddy-by-province"
PADDY_AREA = "gso.planted-area-of-paddy-by-province"
PIGS = "gso.number-of-pigs-as-of-annual-1st-october-by-province"
POULTRY = "gso.number-of-poultry-as-of-annual-1st-october-by-province"
CATTLE = "gso.number-of-cattles-as-of-annual-1st-by-province"
FISHERY = "gso.production-of-fishery-by-province"
FDI_NEW = "gso.foreign-direct-investment-projects-licensed-in-2016-by-province"
FDI_NEW_PROJECTS = FDI_NEW + ".number-of-projects"
FDI_NEW_CAPITAL = FDI_NEW + ".total-registered-capital-mill-usd"
FDI_TOTAL = "gso.foreign-direct-investment-projects-licensed-by-province-accum-1ff752f1"
FDI_TOTAL_PROJECTS = FDI_TOTAL + ".number-of-projects"
FDI_TOTAL_CAPITAL = FDI_TOTAL + ".total-registered-capital-mill-usd"
POPULATION = "gso.average-population-by-province.total"
POPULATION_URBAN = "gso.average-population-by-province.urban"
POPULATION_GROWTH = "gso.population-growth-rate-by-province"
DENSITY = "gso.area-population-and-population-density-by-province.population-density-person-km2"
SEX_RATIO = "gso.sex-ratio-of-population-by-province"
BIRTH_RATE = (
    "gso.crude-birth-rate-crude-death-rate-and-natural-increase-rate-by-province.crude-birth-rate"
)
LABOUR = "gso.labour-force-at-15-years-of-age-and-above-by-province"
TRAINED = "gso.percentage-of-trained-employed-workers-at-15-years-of-age-and-above-by-province"
_SCHOOLS = "gso.number-of-school-of-general-education-as-of-30-september-by-province"
SCHOOLS = _SCHOOLS + ".total"
SCHOOLS_PRIMARY = _SCHOOLS + ".primary"
SCHOOLS_LOWER = _SCHOOLS + ".lower-secondary"
SCHOOLS_UPPER = _SCHOOLS + ".upper-secondary"
CLASSES = "gso.number-of-classes-of-general-education-as-of-30-september-by-province.total"
TEACHERS = "gso.number-of-direct-teaching-teachers-of-general-education-as-of-30-september-by-province.total"
PUPILS = "gso.number-of-pupils-of-general-education-as-of-30-september-by-province.total"
GRADUATES = "gso.percentage-of-graduates-compared-with-total-candidates-upper-secondary"
_HEALTH = "gso.number-of-health-establishments-under-provincial-departments-of-health-by-province"
HEALTH_TOTAL = _HEALTH + ".total"
HOSPITALS = _HEALTH + ".hospital"
BEDS = "gso.number-of-patient-beds-under-provincial-departments-of-health-by-province.total"
DOCTORS = "gso.number-of-medical-staff-under-provincial-departments-of-health-by-province.doctor"
NURSES = "gso.number-of-medical-staff-under-provincial-departments-of-health-by-province.nurse"
IMMUNISED = "gso.percentage-of-children-under-1-year-old-immunized-fully-caccinations-by-province"
INFANT_MORTALITY = "gso.infant-mortality-rate-by-province"
UNDER_FIVE_MORTALITY = "gso.under-five-mortality-rate-by-province"
HIV_NEW = "gso.number-of-people-infected-with-hiv-aids-and-number-of-aids-deaths-by-province.hiv-infected-people-new-case"
POVERTY = "gso.poverty-rate-by-province"
INCOME = "gso.monthly-average-income-per-capita-at-current-prices-by-income-quintile-and-by-province.general-average"
ELECTRICITY = "gso.percentage-of-household-using-electricity-by-province"
BUDGET_REVENUE = "ns-mof.thu-nsnn-tren-dia-ban"
BUDGET_SPENDING = "ns-mof.chi-nsdp"
BUDGET_RETAINED = "ns-mof.ty-le-dieu-tiet"

KTXH_OUTLINE = f"""\
%% Đề cương báo cáo tình hình kinh tế - xã hội (tháng, 9 tháng, năm).
%% Mỗi biểu thức {{{{ ... }}}} là một truy vấn số liệu IOC; xem tài liệu docs/vi/bao-cao.md.
Ủy ban nhân dân tỉnh báo cáo tình hình kinh tế - xã hội {{{{ period_name }}}} trên địa bàn {{{{ unit_name }}}} như sau. Các số liệu trong báo cáo được tổng hợp từ cơ sở dữ liệu của Trung tâm điều hành thông minh (IOC); nguồn của từng số liệu được ghi tại Phụ lục kèm theo.

# I. TÌNH HÌNH KINH TẾ

## 1. Sản xuất công nghiệp
Chỉ số sản xuất toàn ngành công nghiệp (IIP) {{{{ period_name }}}} bằng {{{{ value {IIP} }}}}% so với cùng kỳ năm trước (năm trước = 100); chỉ số của {{{{ previous_period_name }}}} là {{{{ value {IIP} period=previous_year }}}}%. Chỉ số chung của cả nước {{{{ period_name }}}} là {{{{ value {IIP} unit=VN }}}}%.

::: chart line Chỉ số sản xuất công nghiệp (năm trước = 100), %
series {IIP} label="Vĩnh Phúc" years=5
series {IIP} unit=VN label="Cả nước" years=5
:::

## 2. Thương mại, dịch vụ
Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng theo giá hiện hành {{{{ period_name }}}} đạt {{{{ value {RETAIL} }}}} tỷ đồng, {{{{ change {RETAIL} words }}}} so với {{{{ previous_period_name }}}}. Mạng lưới thương mại có {{{{ value {MARKETS} }}}} chợ và {{{{ value {SUPERMARKETS} }}}} siêu thị.

## 3. Sản xuất nông nghiệp
Sản lượng lương thực có hạt đạt {{{{ value {CEREALS} }}}} nghìn tấn, {{{{ change {CEREALS} words }}}} so với {{{{ previous_period_name }}}}; trong đó sản lượng lúa đạt {{{{ value {PADDY} }}}} nghìn tấn, năng suất lúa bình quân {{{{ value {PADDY_YIELD} }}}} tạ/ha trên diện tích gieo trồng {{{{ value {PADDY_AREA} }}}} nghìn ha.
Chăn nuôi: đàn lợn có {{{{ value {PIGS} }}}} nghìn con ({{{{ change {PIGS} words }}}}), đàn gia cầm {{{{ value {POULTRY} }}}} nghìn con ({{{{ change {POULTRY} words }}}}), đàn bò {{{{ value {CATTLE} }}}} nghìn con. Sản lượng thủy sản đạt {{{{ value {FISHERY} }}}} tấn.

## 4. Thu, chi ngân sách nhà nước
Thu ngân sách nhà nước trên địa bàn {{{{ period_name }}}}: {{{{ value {BUDGET_REVENUE} }}}}; chi ngân sách địa phương: {{{{ value {BUDGET_SPENDING} }}}}. Số liệu {{{{ previous_period_name }}}}: thu ngân sách nhà nước trên địa bàn {{{{ value {BUDGET_REVENUE} period=previous_year }}}}, chi ngân sách địa phương {{{{ value {BUDGET_SPENDING} period=previous_year }}}}; tỷ lệ điều tiết ngân sách địa phương được hưởng {{{{ value {BUDGET_RETAINED} period=previous_year }}}}%. Số liệu ngân sách lấy theo số liệu của Bộ Tài chính; nguồn không ghi đơn vị tính (nhiều khả năng là triệu đồng) và không ghi là số dự toán hay quyết toán.

::: chart line Thu và chi ngân sách (số liệu Bộ Tài chính)
series {BUDGET_REVENUE} label="Thu NSNN trên địa bàn" years=10
series {BUDGET_SPENDING} label="Chi ngân sách địa phương" years=10
:::

## 5. Thu hút đầu tư trực tiếp nước ngoài
Trong {{{{ period_name }}}}, tỉnh cấp mới giấy chứng nhận đầu tư cho {{{{ value {FDI_NEW_PROJECTS} decimals=0 }}}} dự án đầu tư trực tiếp nước ngoài với tổng vốn đăng ký {{{{ value {FDI_NEW_CAPITAL} }}}} triệu USD. Lũy kế đến cuối kỳ, trên địa bàn có {{{{ value {FDI_TOTAL_PROJECTS} decimals=0 }}}} dự án FDI còn hiệu lực với tổng vốn đăng ký {{{{ value {FDI_TOTAL_CAPITAL} }}}} triệu USD; vốn đăng ký của các dự án cấp mới trong kỳ chiếm {{{{ share {FDI_NEW_CAPITAL} of={FDI_TOTAL_CAPITAL} }}}}% tổng vốn đăng ký lũy kế.

# II. VĂN HÓA - XÃ HỘI

## 1. Dân số, lao động
Dân số trung bình {{{{ period_name }}}} ước đạt {{{{ value {POPULATION} }}}} nghìn người, {{{{ change {POPULATION} words }}}} so với {{{{ previous_period_name }}}}; dân số thành thị {{{{ value {POPULATION_URBAN} }}}} nghìn người, chiếm {{{{ share {POPULATION_URBAN} of={POPULATION} }}}}%. Tỷ lệ tăng dân số {{{{ value {POPULATION_GROWTH} }}}}%, mật độ dân số {{{{ value {DENSITY} }}}} người/km², tỷ số giới tính {{{{ value {SEX_RATIO} }}}} nam/100 nữ, tỷ suất sinh thô {{{{ value {BIRTH_RATE} }}}}‰.
Lực lượng lao động từ 15 tuổi trở lên có {{{{ value {LABOUR} }}}} nghìn người; tỷ lệ lao động đang làm việc đã qua đào tạo đạt {{{{ value {TRAINED} }}}}%.

## 2. Giáo dục và đào tạo
Tại thời điểm 30/9/{{{{ year }}}}, toàn tỉnh có {{{{ value {SCHOOLS} }}}} trường phổ thông, gồm {{{{ value {SCHOOLS_PRIMARY} }}}} trường tiểu học, {{{{ value {SCHOOLS_LOWER} }}}} trường trung học cơ sở và {{{{ value {SCHOOLS_UPPER} }}}} trường trung học phổ thông; {{{{ value {CLASSES} }}}} lớp học; {{{{ value {TEACHERS} }}}} giáo viên trực tiếp giảng dạy ({{{{ change {TEACHERS} words }}}} so với cùng kỳ) và {{{{ value {PUPILS} }}}} học sinh ({{{{ change {PUPILS} words }}}} so với cùng kỳ). Tỷ lệ học sinh tốt nghiệp trung học phổ thông đạt {{{{ value {GRADUATES} }}}}% số học sinh dự thi.

::: chart bar Số học sinh phổ thông tại thời điểm 30/9 (học sinh)
series {PUPILS} label="Học sinh phổ thông" years=5
:::

## 3. Y tế
Toàn tỉnh có {{{{ value {HEALTH_TOTAL} }}}} cơ sở y tế do Sở Y tế quản lý, trong đó {{{{ value {HOSPITALS} }}}} bệnh viện, với {{{{ value {BEDS} }}}} giường bệnh ({{{{ change {BEDS} words }}}} so với {{{{ previous_period_name }}}}). Nhân lực y tế có {{{{ value {DOCTORS} }}}} bác sĩ và {{{{ value {NURSES} }}}} y tá, điều dưỡng. Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ đạt {{{{ value {IMMUNISED} }}}}%; tỷ suất chết của trẻ em dưới 1 tuổi là {{{{ value {INFANT_MORTALITY} }}}}‰ và dưới 5 tuổi là {{{{ value {UNDER_FIVE_MORTALITY} }}}}‰. Số người nhiễm HIV mới phát hiện trong năm là {{{{ value {HIV_NEW} }}}} người.

## 4. Đời sống dân cư, giảm nghèo
Tỷ lệ hộ nghèo còn {{{{ value {POVERTY} }}}}%, {{{{ diff {POVERTY} words }}}} điểm phần trăm so với {{{{ previous_period_name }}}}. Thu nhập bình quân đầu người một tháng theo giá hiện hành (khảo sát mức sống dân cư, hai năm một lần) đạt {{{{ value {INCOME} }}}} nghìn đồng, {{{{ change {INCOME} against=-2y words }}}} so với kỳ khảo sát trước. Tỷ lệ hộ sử dụng điện đạt {{{{ value {ELECTRICITY} }}}}%.

# III. ĐÁNH GIÁ CHUNG VÀ NHIỆM VỤ TRỌNG TÂM
[Phần đánh giá chung, tồn tại, hạn chế và nhiệm vụ, giải pháp trọng tâm kỳ tới do cơ quan chủ trì soạn thảo bổ sung trên bản DOCX trước khi trình ký.]

::: table Biểu 1. Một số chỉ tiêu kinh tế - xã hội chủ yếu
| Chỉ tiêu | Đơn vị tính | Thực hiện {{{{ previous_period_name }}}} | Thực hiện {{{{ period_name }}}} | So với cùng kỳ (%) |
| Chỉ số sản xuất công nghiệp (năm trước = 100) | % | {{{{ value {IIP} period=previous_year }}}} | {{{{ value {IIP} }}}} | - |
| Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng | tỷ đồng | {{{{ value {RETAIL} period=previous_year }}}} | {{{{ value {RETAIL} }}}} | {{{{ index {RETAIL} }}}} |
| Sản lượng lương thực có hạt | nghìn tấn | {{{{ value {CEREALS} period=previous_year }}}} | {{{{ value {CEREALS} }}}} | {{{{ index {CEREALS} }}}} |
| Thu ngân sách nhà nước trên địa bàn | theo nguồn | {{{{ value {BUDGET_REVENUE} period=previous_year }}}} | {{{{ value {BUDGET_REVENUE} }}}} | {{{{ index {BUDGET_REVENUE} }}}} |
| Dân số trung bình | nghìn người | {{{{ value {POPULATION} period=previous_year }}}} | {{{{ value {POPULATION} }}}} | {{{{ index {POPULATION} }}}} |
| Số trường phổ thông | trường | {{{{ value {SCHOOLS} period=previous_year }}}} | {{{{ value {SCHOOLS} }}}} | {{{{ index {SCHOOLS} }}}} |
| Số giáo viên phổ thông trực tiếp giảng dạy | người | {{{{ value {TEACHERS} period=previous_year }}}} | {{{{ value {TEACHERS} }}}} | {{{{ index {TEACHERS} }}}} |
| Số học sinh phổ thông | học sinh | {{{{ value {PUPILS} period=previous_year }}}} | {{{{ value {PUPILS} }}}} | {{{{ index {PUPILS} }}}} |
| Số giường bệnh do Sở Y tế quản lý | giường | {{{{ value {BEDS} period=previous_year }}}} | {{{{ value {BEDS} }}}} | {{{{ index {BEDS} }}}} |
| Tỷ lệ hộ nghèo | % | {{{{ value {POVERTY} period=previous_year }}}} | {{{{ value {POVERTY} }}}} | - |
:::
"""

KTXH_DEFAULTS: dict[str, Any] = {
    "name": "Báo cáo tình hình kinh tế - xã hội",
    "content": (
        "Tình hình kinh tế - xã hội của tỉnh trong kỳ báo cáo: sản xuất công nghiệp, thương mại, "
        "nông nghiệp, thu chi ngân sách, thu hút đầu tư, dân số, lao động, giáo dục, y tế, đời "
        "sống dân cư; đánh giá chung và nhiệm vụ trọng tâm kỳ tới."
    ),
    "reporting_body": "Ủy ban nhân dân tỉnh (cơ quan chủ trì: Sở Kế hoạch và Đầu tư, Cục Thống kê tỉnh)",
    "receiving_body": "Chính phủ, Văn phòng Chính phủ, Bộ Kế hoạch và Đầu tư; Thường trực Tỉnh ủy, Thường trực HĐND tỉnh",
    "sending_method": "Hệ thống thông tin báo cáo của tỉnh và văn bản điện tử có chữ ký số",
    "deadline": "Báo cáo tháng trước ngày 20 của tháng báo cáo; báo cáo 9 tháng trước ngày 20/9; báo cáo năm trước ngày 20/12",
    "frequency": "Hằng tháng, 9 tháng và hằng năm",
    "period_types": [
        "month",
        "report_month",
        "nine_months",
        "report_nine_months",
        "year",
        "report_year",
    ],
    "data_cutoff": "Từ ngày 15 tháng trước kỳ báo cáo đến ngày 14 của tháng cuối kỳ báo cáo; số liệu năm của Tổng cục Thống kê tính theo năm dương lịch",
    "cutoff_day": 15,
    "outline": KTXH_OUTLINE,
    "unit_code": VINH_PHUC_CODE,
    "issuer_parent": "",
    "issuer": "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ",
    "document_symbol": "BC-UBND",
    "place": "Phú Thọ",
    "signer_authority": "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
    "signer_title": "",
    "signer_name": "",
    "recipients": "Văn phòng Chính phủ (b/c)\nBộ Kế hoạch và Đầu tư (b/c)\nTT Tỉnh ủy, TT HĐND tỉnh (b/c)\nChủ tịch, các PCT UBND tỉnh\nCác sở, ban, ngành tỉnh\nLưu: VT",
    "is_builtin": True,
}


def ensure_builtin_regimes(**kwargs: Any) -> None:
    """Create the built-in regimes that are missing and link the indicators their outlines read.

    Connected to ``post_migrate``; an existing regime keeps its edited fields.
    """
    from tinhso.reports.services import sync_indicators

    regime, created = ReportRegime.objects.get_or_create(code=KTXH, defaults=KTXH_DEFAULTS)
    if created:
        logger.info("Created the built-in report regime %s", KTXH)
    sync_indicators(regime)
