"""Logging filters of the portal."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer (a refused permission, an unknown page) is the client's business, not a
    fault of ours: keep Django's one-line warning and drop its traceback. 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
