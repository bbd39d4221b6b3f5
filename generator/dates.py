"""Timestamps: parsing what people type in front matter, and showing times to readers."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_timestamp(value: object, default_tz: tzinfo) -> datetime:
    """Parse an ISO 8601 timestamp; one without an offset is in ``default_tz``.

    Raises ValueError with a message fit for the user.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = str(value).strip()
        match = _TIMESTAMP.match(text)
        if not match:
            raise ValueError(f"invalid timestamp {text!r}; expected ISO 8601 like 2026-11-27T14:05:00+01:00")
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            parsed = datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
                tzinfo=_offset(offset) if offset else None,
            )
        except ValueError as error:
            raise ValueError(f"invalid timestamp {text!r}: {error}") from None
    if not 1970 <= parsed.year <= 2999:
        raise ValueError(f"year {parsed.year} is out of range (1970 to 2999)")
    if parsed.tzinfo is None:
        parsed = _local(parsed, default_tz)
    # UTC from here on: aware datetimes in one ZoneInfo compare and subtract by wall clock,
    # which is wrong across a daylight saving change.
    return parsed.astimezone(timezone.utc)


def _local(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in ``zone``; refuses times a clock change skips or repeats."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        text = naive.isoformat(timespec="minutes")
        round_trip = first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
        what = "does not exist" if round_trip != naive else "happens twice"
        offsets = " or ".join(sorted({_offset_text(first), _offset_text(second)}))
        raise ValueError(
            f"{text} {what} in {zone} (the clocks change then); write it with its UTC offset ({offsets})"
        )
    return first


def _offset_text(moment: datetime) -> str:
    minutes = int((moment.utcoffset() or timedelta()).total_seconds() // 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@functools.lru_cache(maxsize=256)  # a site writes a handful of offsets, thousands of times
def _offset(text: str) -> tzinfo:
    if text.upper() == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"invalid UTC offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def iso(moment: datetime) -> str:
    """Machine-readable form for ``<time datetime>`` and JSON: UTC, seconds precision."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def human_time(moment: datetime, zone: tzinfo) -> str:
    """How pages and feeds show a time: in the site's zone, with its abbreviation."""
    return moment.astimezone(zone).strftime("%b %-d, %Y, %H:%M %Z")
