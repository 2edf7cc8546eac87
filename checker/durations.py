"""Durations such as `12 months` from config and front matter, and date arithmetic on them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_DURATION = re.compile(r"^\s*([1-9][0-9]{0,3})\s*(day|week|month|year)s?\s*$", re.I)


@dataclass(frozen=True)
class Duration:
    """A whole number of days, weeks, months or years."""

    count: int
    unit: str  # day | week | month | year

    def add_to(self, date: dt.date) -> dt.date:
        """`date` moved forward by this duration (month ends clamp: Jan 31 + 1 month = Feb 28)."""
        if self.unit == "day":
            return date + dt.timedelta(days=self.count)
        if self.unit == "week":
            return date + dt.timedelta(weeks=self.count)
        months = self.count * (12 if self.unit == "year" else 1)
        y, m = divmod(date.month - 1 + months, 12)
        year, month = date.year + y, m + 1
        return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))

    def covers(self, start: dt.date, as_of: dt.date) -> bool:
        """Whether `as_of` is no later than `start` plus this duration: the one rule for record
        windows and review cycles (a record of Feb 28 with a one-month window is current through
        Mar 28, a record of Jan 31 through Feb 28)."""
        return as_of <= self.add_to(start)

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'s' if self.count != 1 else ''}"


def parse_duration(text: str) -> Duration:
    """Parse `12 months`, `1 year`, `90 days`; raise ValueError naming the text otherwise."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (expected e.g. '12 months' or '90 days')")
    return Duration(int(m.group(1)), m.group(2).lower())


def parse_date(value: object) -> dt.date | None:
    """An ISO date from a string or date; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
