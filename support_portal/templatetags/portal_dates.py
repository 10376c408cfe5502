"""Times on the portal's pages, in the viewer's zone and one format per context
(``support_portal.kernel.dates``). A template builtin (settings ``TEMPLATES`` … ``builtins``):
every template may write ``{% when ticket.created_at "list" %}``."""

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from support_portal.kernel import dates

register = template.Library()


@register.simple_tag
def when(value: datetime | date | None, style: str = "timeline") -> SafeString | str:
    """A ``<time>`` element: the machine-readable instant, and the text in the viewer's zone
    and language in the format of ``style`` (list, timeline, card, email, date)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', value.isoformat(),
                       dates.local(value, style))


@register.filter
def local(value: datetime | date | None, style: str = "timeline") -> str:
    """The text alone (for a ``title`` attribute or inside a sentence)."""
    return dates.local(value, style)


@register.simple_tag
def zone_name() -> str:
    """The viewer's time zone, named: ``America/Sao_Paulo (UTC−03:00)``."""
    return dates.zone_name()
