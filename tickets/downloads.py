"""Serving uploaded files: always as downloads, never rendered by the browser."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from tickets.models import Attachment


def download_response(file: FieldFile, filename: str) -> FileResponse:
    """``application/octet-stream`` as an attachment, with ``nosniff`` and a sandboxing CSP, so
    not even a browser that guesses types would render or run it."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_download(attachment: Attachment) -> FileResponse:
    return download_response(attachment.file, attachment.safe_name)
