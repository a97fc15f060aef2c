"""Seeding the working-day calendar from the chinese-calendar package.

Only years the table does not have yet are added, so the office's own edits are never
overwritten. Each November the State Council publishes next year's schedule; until the package
has it, the office enters it in the admin (日历年份 / 日历日).
"""

from __future__ import annotations

from importlib.metadata import version

FIRST_YEAR = 2020


def install_calendar(CalendarYear, CalendarDay) -> list[int]:
    """Add every year the package knows (from 2020) that the table lacks; returns the years added."""
    import chinese_calendar

    source = f"chinese-calendar {version('chinese-calendar')}"
    known = set(CalendarYear.objects.values_list("year", flat=True))
    years = sorted({d.year for d in chinese_calendar.holidays} - known)
    years = [y for y in years if y >= FIRST_YEAR]
    days = []
    for day, name in chinese_calendar.holidays.items():
        if day.year in years:
            days.append(CalendarDay(date=day, kind="holiday", name=name))
    for day, name in chinese_calendar.workdays.items():
        if day.year in years:
            days.append(CalendarDay(date=day, kind="workday", name=name))
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source=source) for y in years], ignore_conflicts=True)
    return years
