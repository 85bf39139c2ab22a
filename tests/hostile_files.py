"""Hostile and broken input files, made in the test: workbooks with bombs, DTDs, stale
dimensions, hidden rows and extra sheets, CSVs in the wrong encoding, and the like."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Sequence
from datetime import date

from openpyxl import Workbook

UNITS = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Loại", "Mã đơn vị cấp trên", "Số hộ"]
CADRES = ["Mã cán bộ", "Họ và tên", "Cấp", "Mã đơn vị công tác", "Chức danh", "Trạng thái"]
ASSIGN = ["Mã cán bộ", "Mã đơn vị", "Nhiệm vụ", "Từ ngày", "Đến ngày"]
RESHUFFLE = ["Thao tác", "Mã cán bộ", "Mã đơn vị", "Ngày hiệu lực", "Quyết định"]

#: Four good unit rows: a new hamlet of commune 28801 and three household groups in it.
HAMLET = ["28801.99", "Ấp Thử", "ấp", "ấp", "28801", ""]
GROUPS = [[f"28801.99.0{i}", f"Tổ {i} Ấp Thử", "tổ", "", "28801.99", 20 + i] for i in (1, 2, 3)]
GOOD_UNITS: list[list[object]] = [HAMLET, *GROUPS]

Rows = Sequence[Sequence[object]]


def csv_bytes(header: Sequence[str], rows: Rows, encoding: str = "utf-8", sep: str = ",") -> bytes:
    lines = [sep.join(header), *(sep.join(str(c) for c in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode(encoding, errors="replace")


def xlsx(
    header: Sequence[str],
    rows: Rows,
    *,
    sheets: dict[str, Rows] | None = None,
    hidden: Sequence[int] = (),
    title: str = "Sheet1",
) -> bytes:
    """A workbook made by openpyxl: ``header`` and ``rows`` on the first sheet (rows in
    ``hidden`` hidden), then more sheets."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    for name, more in (sheets or {}).items():
        extra = book.create_sheet(name)
        for row in more:
            extra.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def patch(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one part rewritten."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == member:
                content = change(content)
            target.writestr(info.filename, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def add_member(data: bytes, member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
        target.writestr(member, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
XML_DECL = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>"


def with_prolog(prolog: bytes) -> Callable[[bytes], bytes]:
    """Put ``prolog`` (a DTD, say) between the XML declaration and the root element."""

    def change(content: bytes) -> bytes:
        start = content.index(b"?>") + 2 if content.startswith(b"<?xml") else 0
        return content[:start] + prolog + content[start:]

    return change


def stale_dimension(ref: str) -> Callable[[bytes], bytes]:
    def change(content: bytes) -> bytes:
        start = content.index(b'<dimension ref="') + len(b'<dimension ref="')
        end = content.index(b'"', start)
        return content[:start] + ref.encode() + content[end:]

    return change


def without_dimension(content: bytes) -> bytes:
    start = content.index(b"<dimension")
    end = content.index(b"/>", start) + 2
    return content[:start] + content[end:]


def in_utf16(content: bytes) -> bytes:
    text = content.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
    return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


XXE = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
PARAMETER_ENTITY = b'<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'


def bomb(size: int) -> bytes:
    """A workbook whose sheet unpacks to about ``size`` bytes (blank space in the sheet)."""
    good = xlsx(UNITS, GOOD_UNITS)
    return patch(good, SHEET, lambda c: c.replace(b"<sheetData>", b"<sheetData>" + b" " * size))


def many_parts(count: int) -> bytes:
    data = xlsx(UNITS, GOOD_UNITS)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        for i in range(count):
            target.writestr(f"xl/media/p{i}.bin", b"")
    return out.getvalue()


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """The workbook with ``member``'s uncompressed size written as ``size`` in both the local
    header and the central directory (a zip bomb that hides what it holds)."""
    name = member.encode()
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    while True:
        name_length = struct.unpack_from("<H", out, local + 26)[0]
        if bytes(out[local + 30 : local + 30 + name_length]) == name:
            struct.pack_into("<I", out, local + 22, size)
            break
        local = out.index(b"PK\x03\x04", local + 4)
    central = out.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", out, central + 28)[0]
        if bytes(out[central + 46 : central + 46 + name_length]) == name:
            struct.pack_into("<I", out, central + 24, size)
            break
        central = out.index(b"PK\x01\x02", central + 4)
    return bytes(out)


def dated(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"
