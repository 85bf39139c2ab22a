"""Reports for committee meetings: the gaps, coverage and workload tables of a unit, built
from the store's answers (:mod:`namgraph.reports.build`) and written as an Excel workbook
(:mod:`namgraph.reports.xlsx`) or CSV (:mod:`namgraph.reports.csvfile`).

The words the reports show are all in :mod:`namgraph.reports.labels`. The workbook writer is
imported where it is used: openpyxl takes a while to load, and most ``nam`` commands never
need it."""

from namgraph.reports.build import coverage_report, gaps_report, workload_report
from namgraph.reports.csvfile import write_csv
from namgraph.reports.table import Column, Kind, Report, Sheet

__all__ = [
    "Column",
    "Kind",
    "Report",
    "Sheet",
    "coverage_report",
    "gaps_report",
    "workload_report",
    "write_csv",
]
