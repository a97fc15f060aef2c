"""Deadlines count working days in the Chinese calendar, make-up days (调休) included."""

import datetime

import pytest

from pingan.errors import DomainError
from workflows.selectors import work_calendar
from workflows.services.rectification import deadline_after
from workflows.working_days import UnknownCalendarYear, WorkCalendar

D = datetime.date


@pytest.fixture
def calendar(db) -> WorkCalendar:
    return work_calendar()  # seeded from chinese-calendar by migration


def test_national_day_2026_and_its_make_up_saturday(calendar):
    # 1–7 October are off; Saturday 10 October is a make-up working day.
    assert not calendar.is_working_day(D(2026, 10, 1))
    assert calendar.is_working_day(D(2026, 10, 10))
    # From Wednesday 30 September: 8 Oct (1), 9 Oct (2), Sat 10 Oct (3), 12 Oct (4), 13 Oct (5)
    assert calendar.add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)


def test_spring_festival_2026_with_make_up_days_on_both_sides(calendar):
    # 15–23 February are off; Saturdays 14 and 28 February are make-up working days.
    assert calendar.is_working_day(D(2026, 2, 14)) and calendar.is_working_day(D(2026, 2, 28))
    # From Thursday 12 Feb: 13 Feb (1), Sat 14 Feb (2), 24 Feb (3), 25 Feb (4), 26 Feb (5)
    assert calendar.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    # From Friday 20 Feb, in the holiday: 24, 25, 26, 27 Feb, Sat 28 Feb
    assert calendar.add_working_days(D(2026, 2, 20), 5) == D(2026, 2, 28)


def test_counting_working_days_between_and_backwards(calendar):
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 13)) == 5
    assert calendar.working_days_between(D(2026, 10, 13), D(2026, 10, 13)) == 0
    # counting back from Monday 12 Oct: 12 (1), Sat 10 (2), 9 (3)
    assert calendar.nth_working_day_back(D(2026, 10, 12), 3) == D(2026, 10, 9)


def test_a_year_without_calendar_data_is_an_explicit_error(calendar):
    with pytest.raises(UnknownCalendarYear, match="no data for 2027"):
        calendar.add_working_days(D(2026, 12, 28), 5)


def test_the_office_sees_the_unknown_year_error_when_setting_a_deadline(calendar):
    with pytest.raises(DomainError, match="enter 2027's public holidays"):
        deadline_after(D(2026, 12, 28), 5)


def test_a_year_entered_in_the_table_is_used(db):
    from workflows.models import CalendarDay, CalendarYear

    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    CalendarDay.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    # from Mon 28 Dec 2026: 29, 30, 31 Dec, (1 Jan off), Mon 4 Jan, Tue 5 Jan
    assert deadline_after(D(2026, 12, 28), 5) == D(2027, 1, 5)


def test_pure_rules_without_a_database():
    calendar = WorkCalendar.of([2030], holidays=[D(2030, 5, 1)], workdays=[D(2030, 5, 4)])
    assert calendar.is_working_day(D(2030, 5, 4))  # a Saturday made a working day
    assert not calendar.is_working_day(D(2030, 5, 1))
    assert not calendar.is_working_day(D(2030, 5, 5))  # Sunday
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2030, 5, 1), -1)
