"""Files an outbox e-mail carries, made when it is sent (no file is stored in the outbox).

A monthly service review (SPEC §15) is an outbox row naming ``(report_company, report_month)``;
delivery asks ``attachments_for`` and attaches the PDF rendered then, in the row's language.
The renderer belongs to the reports feature package, which the core and the other feature
packages never import: it is named here, as the outbox names the delivery task.
"""

from django.utils.module_loading import import_string

from tickets.models import OutboundEmail

#: ``(message) -> (file name, bytes, MIME type)``: the PDF of the month's service review.
REPORT_PDF = "tickets.reports.pdf.report_attachment"

Attachment = tuple[str, bytes, str]


def attachments_for(message: OutboundEmail) -> list[Attachment]:
    """What to attach to ``message`` (nothing, for every e-mail but a monthly review)."""
    if message.report_company_id is None or message.report_month is None:
        return []
    return [import_string(REPORT_PDF)(message)]
