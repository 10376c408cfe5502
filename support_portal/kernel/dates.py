"""Dates and times as people read them (SPEC §10): in the reader's time zone, named, and in
one localised format per context, defined here once.

Pages activate the viewer's zone for the whole request (``accounts.preferences``), e-mails the
recipient's while they are composed (``tickets.outbox``), so every function below formats in
the *current* zone and language. The API is not formatted here: it keeps ISO 8601 with offset.
"""

from datetime import date, datetime

from django.utils import dateformat, timezone, translation

#: Where a time is shown → its pattern, per language (Django's date-format letters; month
#: and day names follow the active language). Lists are compact, the timeline names the
#: weekday, cards (the SLA box, the company card) sit in a narrow column, e-mails are read
#: away from the portal and spell the date out; ``time`` is the time of day alone (a moment
#: of today, e.g. when the on-call engineer was paged).
FORMATS: dict[str, dict[str, str]] = {
    "en": {
        "list": "M j, Y, H:i",
        "timeline": "D, M j, Y, H:i",
        "card": "M j, Y, H:i",
        "email": "l, F j, Y, H:i",
        "date": "F j, Y",
        "time": "H:i",
    },
    "pt-br": {
        "list": "d/m/Y H:i",
        "timeline": "D, d/m/Y H:i",
        "card": "d/m/Y H:i",
        "email": r"l, j \d\e F \d\e Y, H:i",
        "date": r"j \d\e F \d\e Y",
        "time": "H:i",
    },
}
STYLES = frozenset(FORMATS["en"])


def pattern(style: str) -> str:
    """The pattern of ``style`` in the active language (English when it has none)."""
    if style not in STYLES:
        raise ValueError(f"unknown date style {style!r}; one of {sorted(STYLES)}")
    language = (translation.get_language() or "en").lower()
    return FORMATS.get(language, FORMATS["en"])[style]


def local(value: datetime | date | None, style: str) -> str:
    """``value`` in the current zone and language, in the format of ``style``; ``""`` for
    no value. A date (no time of day) is shown as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return dateformat.format(value, pattern(style))
    return dateformat.format(value, pattern("date"))


def zone_name(at: datetime | None = None) -> str:
    """The current zone as people recognise it: its IANA name and UTC offset at ``at``
    (default now), e.g. ``America/Sao_Paulo (UTC−03:00)``; just ``UTC`` for UTC."""
    zone = timezone.get_current_timezone()
    name = str(getattr(zone, "key", zone))
    if name in ("UTC", "Etc/UTC"):
        return "UTC"
    offset = timezone.localtime(at or timezone.now()).strftime("%z")  # +0530
    sign = "−" if offset.startswith("-") else "+"
    return f"{name} (UTC{sign}{offset[1:3]}:{offset[3:5]})"


def email_datetime(value: datetime | None) -> str:
    """A time in an e-mail: spelled out in the recipient's language and zone, with the zone
    named (the recipient reads it away from the portal's footer)."""
    if value is None:
        return ""
    return f"{local(value, 'email')} ({zone_name(value)})"
