"""Field length limits of what customers and staff write (SPEC §3 fields), in one place.

The services enforce them, so every channel (portal page, API, e-mail in, phone form) gets
the same answer; the API serializers declare them (``max_length``) so the OpenAPI schema shows
them, and the forms too, so the page says so next to the field. The README lists them.
"""

from django.utils.translation import gettext as _

SUBJECT_MAX = 200
DESCRIPTION_MAX = 50_000
COMMENT_MAX = 50_000
PRODUCT_MAX = 120
PRODUCT_VERSION_MAX = 60
NOTE_TITLE_MAX = 200
NOTE_BODY_MAX = 50_000

#: How much of the description the acknowledgement e-mail quotes (the portal has the rest).
ACK_EXCERPT_CHARS = 1_000


def too_long(fields: dict[str, tuple[str, int]]) -> dict[str, list[str]]:
    """Errors for the values longer than their limit: ``{name: (value, limit)}``."""
    return {
        name: [_("At most %(limit)d characters (this has %(length)d).")
               % {"limit": limit, "length": len(value)}]
        for name, (value, limit) in fields.items() if len(value) > limit
    }


def excerpt(text: str, limit: int = ACK_EXCERPT_CHARS) -> str:
    """``text`` cut at a word boundary near ``limit`` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - 80)
    return (cut[:space] if space > 0 else cut).rstrip() + " …"
