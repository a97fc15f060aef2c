"""Reading CSV and XLSX files as rows of text keyed by header, with their line numbers."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import RejectedFile, RowProblem


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def read_rows(path: Path, required: list[str], optional: tuple[str, ...] = ()) -> list[Row]:
    """All non-blank rows of a CSV or XLSX file; a missing column rejects the file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        raw = _xlsx_lines(path)
    elif suffix in {".csv", ".txt", ""}:
        raw = _csv_lines(path)
    else:
        raise RejectedFile(path.name, [RowProblem(1, f"unsupported file type {suffix!r}: use .csv or .xlsx")])
    try:
        header = next(raw)
    except StopIteration:
        raise RejectedFile(path.name, [RowProblem(1, "the file is empty: expected a header row")]) from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise RejectedFile(
            path.name,
            [RowProblem(1, f"missing column(s) {', '.join(missing)}; the header must have {','.join(required)}")],
        )
    wanted = [*required, *optional]
    rows = []
    for line, cells in enumerate(raw, start=2):
        if not any(c.strip() for c in cells):
            continue
        padded = cells + [""] * (len(names) - len(cells))
        rows.append(Row(line, {n: padded[i].strip() for i, n in enumerate(names) if n in wanted}))
    return rows


def _csv_lines(path: Path) -> Iterator[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # what Excel on a Chinese Windows saves as CSV
        except UnicodeDecodeError:
            raise RejectedFile(path.name, [RowProblem(1, "the file is neither UTF-8 nor GB18030 text")]) from None
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_lines(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RejectedFile(path.name, [RowProblem(1, f"not a readable XLSX workbook ({exc})")]) from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(text: str) -> datetime.date:
    """A YYYY-MM-DD date, or ValueError naming the expected form."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad date {text!r}: expected YYYY-MM-DD") from None


def parse_count(text: str, what: str) -> int:
    """A whole number ≥ 0, or ValueError naming the column."""
    if text == "":
        raise ValueError(f"{what} is empty")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{what} {text!r} is not a whole number")
    if number < 0:
        raise ValueError(f"{what} {text!r} is negative")
    return int(number)
