"""Durations such as `12 months` from config and front matter, and date arithmetic on them."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

import msgspec

# ASCII digits and spaces only (`re.ASCII`): `\d` and `\s` would take Arabic-Indic digits
# and exotic spaces that `int()` and the schemas treat differently.
_DURATION = re.compile(r"^[ \t]*([1-9][0-9]{0,4})[ \t]*(day|week|month|year)s?[ \t]*$", re.I | re.ASCII)
MAX_TEXT = 40
# The longest window anyone means is a few years; a century bounds every date sum well
# inside what `datetime.date` can hold, whatever the unit.
LONGEST = {"day": 36_525, "week": 5_218, "month": 1_200, "year": 100}


class Duration(msgspec.Struct, frozen=True):
    """A whole number of days, weeks, months or years."""

    count: int
    unit: str  # day | week | month | year

    def add_to(self, date: dt.date) -> dt.date:
        """`date` moved forward by this duration (month ends clamp: Jan 31 + 1 month = Feb 28).

        A sum past year 9999 is the last representable date: a due date that far away
        means "never due" just the same.
        """
        return _forward(date, self)

    def covers(self, start: dt.date, as_of: dt.date) -> bool:
        """Whether `as_of` is no later than `start` plus this duration: the one rule for record
        windows and review cycles (a record of Feb 28 with a one-month window is current through
        Mar 28, a record of Jan 31 through Feb 28)."""
        return as_of <= self.add_to(start)

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'s' if self.count != 1 else ''}"


def _forward(date: dt.date, d: Duration) -> dt.date:
    try:
        if d.unit in ("day", "week"):
            return date + dt.timedelta(days=d.count * (7 if d.unit == "week" else 1))
        months = d.count * (12 if d.unit == "year" else 1)
        y, m = divmod(date.month - 1 + months, 12)
        year, month = date.year + y, m + 1
        if year > dt.MAXYEAR:
            raise OverflowError(year)
        return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))
    except OverflowError:
        return dt.date.max


def parse_duration(text: object) -> Duration:
    """Parse `12 months`, `1 year`, `90 days`; raise ValueError naming the text otherwise.

    The one duration grammar (config, front matter, rule packs): ASCII digits, one of four
    units, at most a century.
    """
    raw = str(text)
    m = _DURATION.match(raw) if len(raw) <= MAX_TEXT else None
    if not m:
        shown = repr(raw) if len(raw) <= MAX_TEXT else repr(raw[:MAX_TEXT]) + "..."
        raise ValueError(f"not a duration: {shown} (expected e.g. '12 months' or '90 days')")
    count, unit = int(m.group(1)), m.group(2).lower()
    if count > LONGEST[unit]:
        raise ValueError(f"duration {raw.strip()!r} is too long: at most {LONGEST[unit]} {unit}s (a century)")
    return Duration(count, unit)


@functools.lru_cache(maxsize=1024)  # a repository writes its review cycles a few ways, in every document
def duration_error(text: str) -> str | None:
    """Why `text` is not a duration, or None when it is one."""
    try:
        parse_duration(text)
    except ValueError as exc:
        return str(exc)
    return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def is_iso_date(text: str) -> bool:
    """True for a real calendar date written exactly `YYYY-MM-DD`."""
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


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
