"""A known month for the report tests: June 2026 of an account in São Paulo (UTC−3, no DST), with
tickets on both edges of the month so a computation in UTC would get it wrong.

Enhanced plan targets (24x7): S1 30 min, S2 4 h, S3 6 h, S4 8 h. Expected June figures:
filed 6 (S1 2, S2 2, S3 1, S4 1); responded 5, in time 3 (compliance 60.0 %); breaches 2;
S1 median 32.5 min / p90 42.5 min; S2 median 180 min / p90 276 min; S3 120 min.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db.models import F

from accounts.models import ProactiveNote
from sla.jobs import flag_breaches
from tests.factories import file_ticket
from tickets import services
from tickets.models import Ticket

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
#: 00:00 on 1 July in São Paulo: the end of June there (03:00 UTC).
END_OF_JUNE = datetime(2026, 7, 1, 0, 0, tzinfo=SAO_PAULO)
MINUTE = timedelta(minutes=1)


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SAO_PAULO)


def filed(requester, at: datetime, severity: int, subject: str = "Scanner stops") -> Ticket:
    with time_machine.travel(at, tick=False):
        return file_ticket(requester, severity=severity, subject=subject)


def answered(ticket: Ticket, engineer, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        services.comment_add(ticket=ticket, author=engineer, body="We are on it.")


def june_history(company, requester, engineer, tam) -> dict[str, Ticket]:
    """The month's tickets by letter (see the module docstring for the figures)."""
    company.timezone = "America/Sao_Paulo"
    company.save(update_fields=["timezone"])
    t: dict[str, Ticket] = {}
    # A: filed in May local time (1 June 02:50 UTC), answered in June in 20 min (in time).
    t["A"] = filed(requester, local(5, 31, 23, 50), 1)
    answered(t["A"], engineer, local(6, 1, 0, 10))
    # B: filed at the very first instant of June, answered in 1 h (in time).
    t["B"] = filed(requester, local(6, 1), 2)
    answered(t["B"], engineer, local(6, 1, 1))
    # C: S1 answered after 45 min: late, breached in June.
    t["C"] = filed(requester, local(6, 10, 9), 1, subject="Servers crash after the update")
    answered(t["C"], engineer, local(6, 10, 9, 45))
    # D: S3 answered in 2 h.
    t["D"] = filed(requester, local(6, 15, 14), 3)
    answered(t["D"], engineer, local(6, 15, 16))
    # E: S2 answered after 5 h: late, breached in June.
    t["E"] = filed(requester, local(6, 20, 10), 2, subject="=HYPERLINK(\"http://x\")")
    answered(t["E"], engineer, local(6, 20, 15))
    # F: S1 filed at 23:30 on 30 June (1 July UTC), never answered: due, and breached, at
    # 00:00 on 1 July, the first instant of July.
    t["F"] = filed(requester, local(6, 30, 23, 30), 1)
    # G: S4 filed in June, answered in July.
    t["G"] = filed(requester, local(6, 30, 22), 4)
    answered(t["G"], engineer, local(7, 1, 0, 30))
    # H: filed at the first instant of July; I: in April.
    t["H"] = filed(requester, local(7, 1), 3)
    t["I"] = filed(requester, local(4, 20, 12), 2)
    answered(t["I"], engineer, local(4, 20, 13))
    # The breach job over the whole history: late answers were flagged when their deadline
    # passed (as the job does, at the deadline), F at 00:00 on 1 July.
    Ticket.objects.filter(first_response_at__gt=F("response_due_at")).update(
        response_breached_at=F("response_due_at"))
    flag_breaches(END_OF_JUNE + MINUTE)
    # The TAM's notes: one shared in June, one internal in June, one shared in May.
    ProactiveNote.objects.create(company=company, author=tam, title="Upgrade to 12.1",
                                 body="Shared advice.", shared=True, created_at=local(6, 12, 10))
    ProactiveNote.objects.create(company=company, author=tam, title="Churn risk",
                                 body="Internal view.", shared=False,
                                 created_at=local(6, 13, 10))
    ProactiveNote.objects.create(company=company, author=tam, title="May check-in",
                                 body="Older advice.", shared=True, created_at=local(5, 12, 10))
    return t
