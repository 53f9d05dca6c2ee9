"""Pure calendar math for the schedules: periods, due dates and "today" in a property's zone.

Due dates are calendar dates of the property's time zone (a rent due on the 1st in Honolulu
is due when the 1st begins there, not in UTC); instants are stored in UTC. Due days are
1-28 so every month has each of them. A period is a calendar month, named by its first day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sfr3_ledger.errors import InvalidCommand

# The zone most of each state's homes are in; a lease overrides it where that is wrong
# (e.g. the Florida panhandle, west Texas, most of Arizona's reservations).
STATE_TIME_ZONES: dict[str, str] = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
    "PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam",
}
MAX_DUE_DAY = 28


def default_time_zone(us_state: str) -> str:
    try:
        return STATE_TIME_ZONES[us_state]
    except KeyError:
        raise InvalidCommand("state must be a two-letter US state code") from None


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA zone this machine knows, else InvalidCommand."""
    if not isinstance(name, str) or not name or len(name) > 64 or ".." in name:
        raise InvalidCommand("timeZone must be an IANA time zone name (e.g. America/Chicago)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidCommand(f"Unknown time zone: {name}") from None
    return name


def check_due_day(day: object, field: str = "dueDay") -> int:
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= MAX_DUE_DAY:
        raise InvalidCommand(f"{field} must be a day of the month from 1 to {MAX_DUE_DAY}")
    return day


def local_date(instant: datetime, time_zone: str) -> date:
    """The calendar date at `instant` in `time_zone` (instant must be timezone-aware)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def period_of(day: date) -> date:
    """The period (calendar month) `day` falls in, as its first day."""
    return day.replace(day=1)


def period_name(period: date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def next_period(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def dates_with_day(day_of_month: int, first: date, last: date) -> Iterator[date]:
    """Every date in [first, last] whose day of the month is `day_of_month` (1-28)."""
    if first > last:
        return
    current = period_of(first)
    while current <= last:
        candidate = current.replace(day=day_of_month)
        if first <= candidate <= last:
            yield candidate
        current = next_period(current)


def days(first: date, last: date) -> Iterator[date]:
    """Every date in [first, last]."""
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


__all__ = [
    "MAX_DUE_DAY",
    "STATE_TIME_ZONES",
    "check_due_day",
    "check_time_zone",
    "dates_with_day",
    "days",
    "default_time_zone",
    "local_date",
    "next_period",
    "period_name",
    "period_of",
]
