"""A period's evaluations as CSV or as an XLSX ready to print for a leadership meeting."""

from __future__ import annotations

import csv
from typing import BinaryIO, TextIO

from django.utils.translation import gettext as _

from .evaluation_rules import Period
from .models import Evaluation

COLUMNS = [
    "unit",
    "group",
    "score",
    "rank",
    "status",
    "unit_kind",
    "town",
    "district",
    "group_size",
    "mean_score",
    "red_days",
    "orange_days",
    "on_time_rate",
    "accountability_points",
    "adjustment_points",
    "vetoed",
    "recommendation",
]


def evaluation_rows(period: Period, cities: list[int] | None = None) -> list[dict]:
    """One row per evaluation, groups together, best first (of the `cities`, by id; None: all)."""
    evaluations = Evaluation.objects.filter(period_kind=period.kind, period_start=period.start).select_related(
        "unit__town__district"
    )
    if cities is not None:
        evaluations = evaluations.filter(unit__city__in=cities)
    rows = []
    for e in evaluations.order_by("group", "unit__kind", "rank", "unit__name"):
        c = e.components
        rows.append(
            {
                "unit": e.unit.name,
                "group": e.group,
                "score": f"{e.score}" if e.score is not None else "",
                "rank": e.rank or "",
                "status": e.state,
                "unit_kind": e.unit.kind,
                "town": e.unit.town.name if e.unit.town else "",
                "district": e.unit.town.district.name if e.unit.town else "",
                "group_size": e.group_size or "",
                "mean_score": c.get("mean_score", {}).get("value", ""),
                "red_days": c.get("red_days", {}).get("value", ""),
                "orange_days": c.get("orange_days", {}).get("value", ""),
                "on_time_rate": c.get("on_time_rate", {}).get("value", ""),
                "accountability_points": c.get("accountability", {}).get("points", ""),
                "adjustment_points": c.get("adjustments", {}).get("points", ""),
                "vetoed": "yes" if e.vetoed else "",
                "recommendation": e.recommendation,
                "_evaluation": e,
            }
        )
    return rows


def write_csv(out: TextIO, period: Period, cities: list[int] | None = None) -> int:
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    rows = evaluation_rows(period, cities)
    writer.writerows(rows)
    return len(rows)


def write_xlsx(out: BinaryIO, period: Period, cities: list[int] | None = None) -> int:
    """The same columns (header on row 1, so machines read it too), with Chinese labels in a second
    header line, fitted to one page wide in landscape, with the period in the printed header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    rows = evaluation_rows(period, cities)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = period.label
    sheet.append(COLUMNS)
    labels = {
        "unit": _("unit"),
        "group": _("group"),
        "score": _("score"),
        "rank": _("rank"),
        "status": _("state"),
        "unit_kind": _("kind"),
        "town": _("town"),
        "district": _("district"),
        "group_size": _("group size"),
        "mean_score": _("mean index score"),
        "red_days": _("red days"),
        "orange_days": _("orange days"),
        "on_time_rate": _("on-time task rate (%)"),
        "accountability_points": _("accountability points"),
        "adjustment_points": _("adjustment points"),
        "vetoed": _("vetoed"),
        "recommendation": _("recommendation"),
    }
    sheet.append([str(labels[c]) for c in COLUMNS])
    group_names = dict(Evaluation._meta.get_field("group").flatchoices)
    state_names = dict(Evaluation.State.choices)
    recommendation_names = dict(Evaluation.Recommendation.choices)
    for row in rows:
        shown = dict(row)
        shown["group"] = str(group_names.get(row["group"], row["group"]))
        shown["status"] = str(state_names.get(row["status"], row["status"]))
        shown["recommendation"] = (
            str(recommendation_names.get(row["recommendation"], "")) if row["recommendation"] else ""
        )
        shown["score"] = float(row["score"]) if row["score"] != "" else None
        sheet.append([shown[c] for c in COLUMNS])
    bold = Font(bold=True)
    for cell in sheet[1] + sheet[2]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    highlight = {"commendation": "E2F0D9", "penalty": "FBE5D6"}
    for n, row in enumerate(rows, start=3):
        if row["recommendation"] in highlight:
            for cell in sheet[n]:
                cell.fill = PatternFill("solid", fgColor=highlight[row["recommendation"]])
    widths = {"unit": 22, "town": 12, "district": 10}
    for i, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = widths.get(column, 11)
    sheet.freeze_panes = "B3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:2"
    sheet.oddHeader.center.text = _("Ping'an evaluation %(period)s") % {"period": period.label}
    sheet.oddFooter.center.text = "&P / &N"
    workbook.save(out)
    return len(rows)
