"""Figures that apps add to ``/readyz`` (``details``) without the probe importing any app.

An app registers a function in its ``AppConfig.ready``; the readiness view calls each one and
shows what it returns (or the error it raised). Details are information for operators and
monitoring (e.g. undelivered e-mails, the SLA scan's lag); they never make the portal
"unready", which is the database's and the broker's business alone.
"""

from collections.abc import Callable
from typing import Any

Detail = Callable[[], dict[str, Any]]

_details: dict[str, Detail] = {}


def register_detail(name: str, detail: Detail) -> None:
    _details[name] = detail


def collect_details() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, detail in sorted(_details.items()):
        try:
            out[name] = detail()
        except Exception as exc:  # a detail never breaks the probe
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out
