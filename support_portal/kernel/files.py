"""Uploaded and private files: hashing an upload, and the one way a stored file leaves the
portal — as a download, never rendered by the browser."""

import hashlib

from django.core.files.base import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header


def sha256_of(upload: File) -> str:
    """The SHA-256 of an upload, read in chunks; the file is rewound for whoever stores it."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def private_download(
    content: FieldFile | bytes, filename: str, content_type: str = "application/octet-stream",
) -> HttpResponseBase:
    """A private file (a stored ``FieldFile``, or bytes built for the answer) as an attachment
    with ``nosniff``, a sandboxing CSP and no caching, so not even a browser that guesses types
    would render or run it. Every attachment, sample and sample archive is served by this."""
    response: HttpResponseBase
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    else:
        response = FileResponse(content.open("rb"), as_attachment=True, filename=filename,
                                content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response

