"""A refused page is logged once, as one line without a traceback; a server error keeps its
traceback (SPEC §16 issue: "each 403 prints two tracebacks")."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from support_portal.kernel.logging import ClientErrorsWithoutTraceback

ROOT = Path(__file__).resolve().parent.parent


def _record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        import sys

        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1,
                                   "Forbidden (Permission denied): %s", ("/tam/",),
                                   sys.exc_info())
    record.status_code = status
    record.request = RequestFactory().get("/tam/")
    return record


@pytest.mark.parametrize(("status", "keeps_traceback"), [(403, False), (404, False),
                                                         (500, True)])
def test_it_drops_the_traceback_of_client_errors_only(status, keeps_traceback):
    record = _record(status)
    assert ClientErrorsWithoutTraceback().filter(record) is True
    assert (record.exc_info is not None) == keeps_traceback


SCRIPT = """
import django
django.setup()
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.log import log_response
request = RequestFactory().get("/tam/")
from django.http import HttpResponseForbidden
try:
    raise PermissionDenied("refused")
except PermissionDenied as exc:
    # What Django's request handler does for a view that raised PermissionDenied.
    log_response("Forbidden (Permission denied): %s", request.path,
                 response=HttpResponseForbidden(), request=request, exception=exc)
print("logged")
"""


@pytest.mark.slow_subprocess
def test_a_refused_request_is_logged_once_without_a_traceback():
    """The settings' LOGGING as a real process uses it: one warning line, no traceback, not
    printed twice by Django's own handler."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "support_portal.settings", "DEBUG": "true",
           "ALLOWED_HOSTS": "testserver"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,  # noqa: S603
                            env=env, cwd=ROOT, timeout=60, check=False)
    assert "logged" in result.stdout, result.stderr
    assert result.stderr.count("Forbidden (Permission denied): /tam/") == 1, result.stderr
    assert "Traceback" not in result.stderr
