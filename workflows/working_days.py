"""Working days in the Chinese calendar, as pure functions over a calendar's data.

A working day is a make-up working day (调休), or a Monday to Friday that is not a public holiday.
A year without calendar data is an error, never a weekdays-only guess: next year's schedule is
published each November and must be entered before deadlines reach into it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

ONE_DAY = datetime.timedelta(days=1)


class UnknownCalendarYear(LookupError):
    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"the working-day calendar has no data for {year}: enter {year}'s public holidays and make-up "
            f"working days (节假日与调休) in the admin before deadlines can reach into it"
        )


@dataclass(frozen=True)
class WorkCalendar:
    years: frozenset[int]
    holidays: frozenset[datetime.date]
    workdays: frozenset[datetime.date]  # make-up working days on a weekend

    @classmethod
    def of(cls, years: Iterable[int], holidays: Iterable[datetime.date], workdays: Iterable[datetime.date]):
        return cls(frozenset(years), frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: datetime.date) -> bool:
        if day.year not in self.years:
            raise UnknownCalendarYear(day.year)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The `days`-th working day after `start` (start itself does not count)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += ONE_DAY
            if self.is_working_day(day):
                days -= 1
        return day

    def nth_working_day_back(self, day: datetime.date, n: int) -> datetime.date:
        """The n-th working day counting back from `day` (itself included when it is a working day)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        while True:
            if self.is_working_day(day):
                n -= 1
                if n == 0:
                    return day
            day -= ONE_DAY

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """How many working days lie after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count
