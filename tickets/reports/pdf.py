"""The printable service review (SPEC §15): an HTML template printed to PDF by WeasyPrint, with
the weekly chart drawn as SVG by ``charts``. No browser is involved.

The review is the same for every reader of the account (it shows only what the company's own
contacts may see: the month's figures, its breached tickets, its signature requests and the
TAM's *shared* notes), in the active language. WeasyPrint may load nothing but the ``data:``
URIs the template itself embeds: no file, no network address, whatever a ticket subject says.
"""

import base64
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Company
from tickets.models import OutboundEmail, Severity
from tickets.presentation import format_duration
from tickets.reports.charts import weekly_chart_svg
from tickets.reports.selectors import (
    BREACHES_LISTED,
    MonthReport,
    month_report,
    signature_outcome,
)


def report_filename(company: Company, month: date, extension: str) -> str:
    """``service-review-northwind-bank-2026-06.pdf``."""
    name = slugify(company.name) or f"company-{company.pk}"
    return f"service-review-{name}-{month:%Y-%m}.{extension}"


def _duration(value: int | None) -> str:
    return "—" if value is None else format_duration(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{formats.number_format(value, 1)} %"


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element (quotes, backslashes,
    line breaks and angle brackets escaped)."""
    escaped = "".join(f"\\{ord(c):X} " if c in '"\\<>\n\r' else c for c in text)
    return f'"{escaped}"'


def footer_content(report: MonthReport) -> str:
    """The CSS ``content`` of the page footer: the account, the month and the page number."""
    page = _("Page %(page)s of %(pages)s")
    before, _sep, rest = page.partition("%(page)s")
    middle, _sep, after = rest.partition("%(pages)s")
    title = _("%(company)s · Service review, %(month)s") % {
        "company": report.company.name, "month": report.label}
    return " ".join([css_string(f"{title}  ·  {before}"), "counter(page)", css_string(middle),
                     "counter(pages)", css_string(after)])


def review_context(report: MonthReport) -> dict[str, Any]:
    """What ``reports/review.html`` shows, with every text in the active language."""
    ticks = [formats.date_format(date.fromisoformat(w["week"]), "j M") for w in report.weekly]
    chart = weekly_chart_svg(report.weekly, ticks=ticks, filed_label=_("Tickets filed"),
                             compliance_label=_("SLA compliance"))
    severities = [
        {
            "severity": severity,
            "filed": report.filed[str(severity.value)],
            "responded": report.first_response[str(severity.value)]["count"],
            "median": _duration(report.first_response[str(severity.value)]["median_seconds"]),
            "p90": _duration(report.first_response[str(severity.value)]["p90_seconds"]),
        }
        for severity in Severity
    ]
    return {
        "r": report,
        "company": report.company,
        "zone": report.company.timezone,
        "severities": severities,
        "compliance": _percent(report.sla.compliance),
        "update_compliance": _percent(report.update_compliance),
        "median_to_release": _duration(report.signatures["median_seconds_to_release"]),
        "chart_uri": "data:image/svg+xml;base64,"
                     + base64.b64encode(chart.encode()).decode("ascii"),
        "weekly": [{**w, "tick": tick} for w, tick in zip(report.weekly, ticks, strict=True)],
        "breaches_more": max(report.sla.breaches - len(report.breaches), 0),
        "breaches_listed": BREACHES_LISTED,
        "signature_requests": [(r, signature_outcome(r)) for r in report.signature_requests],
        "footer_content": mark_safe(footer_content(report)),  # noqa: S308 - escaped above
    }


def render_pdf(report: MonthReport) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, and a process that never prints a
    # review (or a machine without the libraries) need not pay for it or fail on it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("reports/review.html", review_context(report))
    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def report_attachment(message: OutboundEmail) -> tuple[str, bytes, str]:
    """The attachment of a monthly-review e-mail (``tickets.mail_files``): the PDF of the row's
    (company, month) in the row's language, rendered now."""
    month = message.report_month
    if message.report_company_id is None or month is None:
        raise ValueError(f"e-mail {message.pk} names no report")
    company = Company.objects.select_related("plan", "tam").get(pk=message.report_company_id)
    with translation.override(message.language or "en"):
        pdf = render_pdf(month_report(company, month))
    return report_filename(company, month, "pdf"), pdf, "application/pdf"
