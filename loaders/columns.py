"""The columns of each input file: Vietnamese headers as staff write them, English keys too."""

from __future__ import annotations

from dataclasses import dataclass

from graph.text import fold

__all__ = [
    "ACTIVITY",
    "ATTENDANCE",
    "KINDS",
    "MEETINGS",
    "MERGES",
    "PETITIONS",
    "RESHUFFLE",
    "TEMPLATES",
    "Column",
    "Layout",
]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""

    def names(self) -> set[str]:
        return {fold(name) for name in (self.key, self.header, *self.aliases)}


@dataclass(frozen=True, slots=True)
class Layout:
    kind: str
    columns: tuple[Column, ...]

    def lookup(self) -> dict[str, Column]:
        return {name: column for column in self.columns for name in column.names()}

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


#: The example rows fit the demo's map of today (``make demo``: Bến Tre, then the two-tier
#: policy and map from 1 July 2025): cadre 28756-0031 of Phường Phú Khương (28756), a commune
#: cadre, supports its hamlet 28756.01. Loaded as they are into the demo, each template's
#: example passes a dry run without a problem (tests/test_templates.py).
UNITS = Layout(
    "units",
    (
        Column("code", "Mã đơn vị", True, ("ma", "mã"), "28756.01"),
        Column("name", "Tên đơn vị", True, ("tên", "ten"), "Ấp Phú Hòa"),
        Column("level", "Cấp", True, ("cap",), "ấp"),
        Column("kind", "Loại", False, ("loai",), "ấp"),
        Column("parent", "Mã đơn vị cấp trên", False, ("parent code", "mã cấp trên"), "28756"),
        Column("households", "Số hộ", False, ("so ho", "số hộ gia đình"), ""),
        Column("valid_from", "Hiệu lực từ ngày", False, ("từ ngày",), "1/1/2020"),
        Column("valid_to", "Hiệu lực đến ngày", False, ("đến ngày",), ""),
    ),
)

CADRES = Layout(
    "cadres",
    (
        Column("id", "Mã cán bộ", True, ("ma can bo", "cadre"), "28756-0031"),
        Column("name", "Họ và tên", True, ("họ tên", "tên"), "Nguyễn Văn An"),
        Column("level", "Cấp", True, ("cap",), "xã"),
        Column("home_unit", "Mã đơn vị công tác", True, ("đơn vị công tác", "home"), "28756"),
        Column("titles", "Chức danh", False, ("chuc danh",), "Cán bộ, công chức xã"),
        Column("status", "Trạng thái", False, ("trang thai",), "đang công tác"),
        Column("status_since", "Trạng thái từ ngày", False, ("since",), "26/8/2022"),
        Column("phone", "Điện thoại", False, ("so dien thoai", "số điện thoại"), "0912345678"),
    ),
)

ASSIGNMENTS = Layout(
    "assignments",
    (
        Column("id", "Mã phân công", False, ("ma phan cong",), ""),
        Column("cadre", "Mã cán bộ", True, ("cadre id",), "28756-0031"),
        Column("unit", "Mã đơn vị", True, ("unit code",), "28756.01"),
        Column("role", "Nhiệm vụ", False, ("nhiem vu",), "theo dõi, hỗ trợ"),
        Column("since", "Từ ngày", True, ("tu ngay",), "1/7/2025"),
        Column("until", "Đến ngày", False, ("den ngay",), ""),
        Column("decision", "Quyết định", False, ("quyet dinh", "số quyết định"), "12-QĐ/ĐU"),
    ),
)

ADMIN = Layout(
    "admin",
    (
        Column("province_name", "Tỉnh / Thành Phố", True, ("tỉnh thành phố", "province")),
        Column("province", "Mã TP", True, ("province code",)),
        Column("district_name", "Quận Huyện", True, ("district",)),
        Column("district", "Mã QH", True, ("district code",)),
        Column("commune_name", "Phường Xã", True, ("commune", "ward")),
        Column("commune", "Mã PX", True, ("commune code", "ward code")),
        Column("commune_kind", "Cấp", False, ("level",)),
    ),
)

KINDS = {layout.kind: layout for layout in (UNITS, CADRES, ASSIGNMENTS)}

#: A reshuffle: a list of changes (with the action column) or, without it, the full roster of
#: a scope's own cadres on the effective date (``nam reshuffle plan FILE --scope CODE``).
RESHUFFLE = Layout(
    "reshuffle",
    (
        Column("action", "Thao tác", False, ("thao tac", "hành động", "change"), "phân công"),
        Column("cadre", "Mã cán bộ", True, ("cadre id", "ma can bo"), "28756-0031"),
        Column("unit", "Mã đơn vị", False, ("unit code", "from unit", "từ đơn vị"), "28756.01"),
        Column("to_unit", "Đến đơn vị", False, ("to unit", "mã đơn vị mới", "den don vi"), ""),
        Column("role", "Nhiệm vụ", False, ("nhiem vu",), "theo dõi, hỗ trợ"),
        Column("on", "Ngày hiệu lực", False, ("effective date", "ngày", "date"), "1/1/2026"),
        Column("decision", "Quyết định", False, ("quyet dinh", "số quyết định"), "12-QĐ/ĐU"),
    ),
)

#: Which old units went into which new unit, on which date, by which resolution. A split (one
#: old unit into several new ones) also names where each child of the old unit goes.
MERGES = Layout(
    "merges",
    (
        Column("old_code", "Mã ĐVHC cũ", True, ("ma dvhc cu", "mã cũ", "old code"), "28757"),
        Column("new_code", "Mã ĐVHC mới", True, ("ma dvhc moi", "mã mới", "new code"), "28756"),
        Column(
            "resolution",
            "Nghị quyết",
            False,
            ("nghi quyet", "quyết định", "resolution"),
            "Nghị quyết 1687/NQ-UBTVQH15 (minh họa)",
        ),
        Column("effective", "Ngày hiệu lực", True, ("ngay hieu luc", "effective date"), "1/7/2025"),
        Column("child_code", "Mã đơn vị con", False, ("child code", "ma don vi con"), ""),
        Column("new_parent", "Đơn vị cấp trên mới", False, ("new parent", "cấp trên mới"), ""),
    ),
)

TEMPLATES = {**KINDS, RESHUFFLE.kind: RESHUFFLE, MERGES.kind: MERGES}

#: Meetings held at units (:mod:`graph.activity`): a cell's regular meeting, a thematic one, a
#: conference, a committee meeting, or a recorded visit. One meeting is its code, or else its
#: unit, day and kind. The example is a regular meeting of hamlet 28756.01's cell, inside the
#: policy's monthly window for cell meetings (days 10 to 15).
MEETINGS = Layout(
    "meetings",
    (
        Column("id", "Mã cuộc họp", False, ("ma cuoc hop", "meeting id", "meeting"), ""),
        Column(
            "unit",
            "Chi bộ / Ấp",
            True,
            ("chi bộ", "ấp", "mã đơn vị", "unit code", "chi bo ap"),
            "28756.01",
        ),
        Column("date", "Ngày sinh hoạt", True, ("ngay sinh hoat", "ngày họp", "ngày"), "12/9/2025"),
        Column("kind", "Loại", True, ("loai", "loại cuộc họp"), "Sinh hoạt chi bộ thường kỳ"),
        Column("note", "Ghi chú", False, ("ghi chu",), ""),
    ),
)

#: Who attended a meeting: the meeting's code, or its unit, day and kind; the cadre; present,
#: or absent with the reason ("Vắng (ốm)"). The example is cadre 28756-0031 at the example
#: meeting of ``nam template meetings``.
ATTENDANCE = Layout(
    "attendance",
    (
        Column("meeting", "Mã cuộc họp", False, ("ma cuoc hop", "meeting id", "id"), ""),
        Column(
            "unit",
            "Chi bộ / Ấp",
            False,
            ("chi bộ", "ấp", "mã đơn vị", "unit code", "chi bo ap"),
            "28756.01",
        ),
        Column(
            "date", "Ngày sinh hoạt", False, ("ngay sinh hoat", "ngày họp", "ngày"), "12/9/2025"
        ),
        Column("kind", "Loại", False, ("loai", "loại cuộc họp"), "Sinh hoạt chi bộ thường kỳ"),
        Column("cadre", "Mã cán bộ", True, ("ma can bo", "cadre id"), "28756-0031"),
        Column(
            "presence",
            "Có mặt / Vắng (lý do)",
            True,
            ("co mat vang ly do", "có mặt", "vắng", "present", "attended"),
            "Có mặt",
        ),
    ),
)

#: Petitions (kiến nghị) and complaints (phản ánh) raised at a hamlet or household group: who
#: received each, to whom it was passed up the chain and when, and when it was answered or
#: closed without an answer. Hand-overs go in one cell, each ``CADRE@DATE``, separated by ``;``
#: and in date order: ``831-0001@3/2/2023; 83-0024@5/2/2023`` (:mod:`loaders.petitions`).
#: The example is raised at household group 28756.01.01 of the demo's map of today, received
#: by its supporter 28756-0001 and passed to 83-0010, who supports commune 28756 then.
PETITIONS = Layout(
    "petitions",
    (
        Column(
            "id", "Mã kiến nghị", True, ("ma kien nghi", "petition id", "petition"), "KN-2025-0001"
        ),
        Column(
            "unit",
            "Nơi phát sinh",
            True,
            ("noi phat sinh", "unit code", "mã ấp, tổ", "ấp / tổ"),
            "28756.01.01",
        ),
        Column(
            "raised",
            "Ngày tiếp nhận",
            True,
            ("ngay tiep nhan", "raised on", "received on"),
            "15/9/2025",
        ),
        Column(
            "received_by",
            "Cán bộ tiếp nhận",
            True,
            ("can bo tiep nhan", "received by", "receiver", "mã cán bộ tiếp nhận"),
            "28756-0001",
        ),
        Column("kind", "Loại", False, ("loai", "loại kiến nghị", "petition kind"), "Kiến nghị"),
        Column("text", "Nội dung", False, ("noi dung", "content"), "Đề nghị sửa đèn đường đầu hẻm"),
        Column(
            "handovers",
            "Chuyển tiếp",
            False,
            ("chuyen tiep", "hand-overs", "handed over", "chuyển lên"),
            "83-0010@18/9/2025",
        ),
        Column("answered", "Ngày trả lời", False, ("ngay tra loi", "answered on"), "2/10/2025"),
        Column("closed", "Ngày kết thúc", False, ("ngay ket thuc", "closed on"), ""),
    ),
)

#: The activity files' templates (``nam template meetings``, ``nam template attendance``,
#: ``nam template petitions``).
ACTIVITY = {MEETINGS.kind: MEETINGS, ATTENDANCE.kind: ATTENDANCE, PETITIONS.kind: PETITIONS}
