"""Every word the reports show: titles, column headers, reasons and page texts, in Vietnamese.

They are kept here, and only here, so that they can move into gettext catalogues when the
product speaks a second language. Headers that name the same thing as an input file's column
use the same words (``Mã đơn vị``, ``Mã cán bộ``, ...)."""

from __future__ import annotations

from graph.answers import GapReason

# --- what each report is (page header, sheet tabs) -------------------------------------------
GAPS_TITLE = "Đơn vị chưa được nắm"
COVERAGE_TITLE = "Kết quả nắm địa bàn"
COVERAGE_SHEET = "Độ phủ"
WORKLOAD_TITLE = "Khối lượng phụ trách của cán bộ"
WORKLOAD_SHEET = "Khối lượng"

# --- columns ---------------------------------------------------------------------------------
UNIT_CODE = "Mã đơn vị"
UNIT_NAME = "Tên đơn vị"
LEVEL_ID = "Mã cấp"
LEVEL = "Cấp"
PARENT_CODE = "Mã đơn vị cấp trên"
PARENT_NAME = "Tên đơn vị cấp trên"
REASON_ID = "Mã lý do"
REASON = "Lý do"
BROKEN_AT = "Đứt chuỗi tại đơn vị"
AS_OF = "Tính đến ngày"

#: Per level of a coverage row; ``{level}`` is the level's label from the policy.
LEVEL_UNITS = "{level}: số đơn vị"
LEVEL_COVERED = "{level}: được nắm"
LEVEL_RATIO = "{level}: tỷ lệ"
HOUSEHOLDS = "Hộ gia đình"
HOUSEHOLDS_REACHED = "Hộ gia đình được nắm"
HOUSEHOLDS_RATIO = "Tỷ lệ hộ được nắm"

CADRE_ID = "Mã cán bộ"
CADRE_NAME = "Họ và tên cán bộ"
CADRE_TITLES = "Chức danh"
HOME_CODE = "Mã đơn vị công tác"
HOME_NAME = "Đơn vị công tác"
UNITS_HELD = "Số đơn vị phụ trách"
MAX_UNITS = "Tối đa theo quy định"
HOUSEHOLDS_HELD = "Số hộ gia đình"
OVERLOADED = "Quá tải"

# --- values ----------------------------------------------------------------------------------
YES = "Có"
#: Why a unit is listed as a gap.
REASONS: dict[GapReason, str] = {
    GapReason.NO_SUPPORTER: "Chưa phân công cán bộ nắm",
    GapReason.SUPPORTER_ENDED: "Phân công cán bộ nắm đã hết hạn",
    GapReason.SUPPORTER_RETIRED: "Cán bộ nắm đã nghỉ hưu",
    GapReason.SUPPORTER_TRANSFERRED: "Cán bộ nắm đã chuyển công tác",
    GapReason.SUPPORTER_LEAVING: "Cán bộ nắm sẽ rời đi",
    GapReason.CHAIN_BROKEN_ABOVE: "Đứt chuỗi ở cấp trên",
}

# --- printed pages (Excel's header and footer codes: &P the page, &N the pages) ---------------
PAGE_DATE = "Tính đến ngày {date}"
PAGE_NUMBER = "Trang &P/&N"
