"""Empty input files with the Vietnamese headers staff see, and one example row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from loaders.columns import ACTIVITY, TEMPLATES

__all__ = ["ALL_TEMPLATES", "write_template"]

#: Every template ``nam template`` writes: the chain's files and the activity files.
ALL_TEMPLATES = {**TEMPLATES, **ACTIVITY}


def write_template(kind: str, xlsx: Path | None = None) -> str:
    """The CSV text of the template; with ``xlsx`` also write it as a workbook."""
    layout = ALL_TEMPLATES[kind]
    headers = [column.header for column in layout.columns]
    example = [column.example for column in layout.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerow(example)
    if xlsx is not None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = kind
        sheet.append(headers)
        sheet.append(example)
        book.save(xlsx)
    return buffer.getvalue()
