"""Writes of the reports feature (SPEC §15): a contact's opt-in to the monthly e-mail, and the
monthly job that e-mails each account's previous month to its TAM and opted-in contacts.

Exactly once per (company, month, recipient), by construction: each recipient is claimed by
inserting a ``ReportDelivery`` row in the same transaction as the outbox e-mail, and the unique
constraint on (company, month, recipient) lets only one of two beats, two workers or a retry
commit; the loser's transaction, e-mail included, rolls back. The PDF is not made here:
delivery renders it when it sends (``tickets.mail_files``).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Company, Contact, Role, User
from accounts.services import profile_update
from support_portal.kernel.queueing import enqueue_on_commit
from tickets.models import OutboundEmail, ReportDelivery
from tickets.outbox import DELIVER_TASK
from tickets.reports.selectors import current_month, month_label, month_period, previous_month

log = logging.getLogger(__name__)


def monthly_review_opt_in_set(*, user: User, opt_in: bool) -> User:
    """A contact asks for (or stops) the monthly review by e-mail, as on their profile
    (``accounts.services.profile_update`` holds the rule: contacts only, 403 for staff)."""
    return profile_update(user=user, monthly_report_opt_in=opt_in)


@dataclass(frozen=True)
class Due:
    company: Company
    month: date


def due_reviews(now: datetime) -> list[Due]:
    """Each account's previous month, as its own clocks show it: on the 1st (from 00:00 local
    time) the month just ended is due. An account created after that month ended has no
    review yet. One query."""
    due = []
    for company in Company.objects.select_related("tam").order_by("pk"):
        month = previous_month(current_month(company, now))
        if company.created_at < month_period(company, month).end:
            due.append(Due(company, month))
    return due


def _recipients(due: list[Due]) -> dict[int, list[User]]:
    """company id → its TAM (if active) and its active contacts who opted in: one query."""
    recipients: dict[int, list[User]] = {d.company.pk: [] for d in due}
    for d in due:
        tam = d.company.tam
        if tam is not None and tam.is_active and tam.role == Role.TAM:
            recipients[d.company.pk].append(tam)
    contacts = (Contact.objects.active().filter(company_id__in=recipients,
                                                user__monthly_report_opt_in=True)
                .select_related("user").order_by("pk"))
    for contact in contacts:
        recipients[contact.company_id].append(contact.user)
    return recipients


def _already_sent(due: list[Due]) -> set[tuple[int, date, int]]:
    """(company, month, recipient) already claimed for the due months: one query."""
    if not due:
        return set()
    rows = ReportDelivery.objects.filter(
        company_id__in=[d.company.pk for d in due], month__in={d.month for d in due},
    ).values_list("company_id", "month", "recipient_id")
    return set(rows)


def _compose(user: User, company: Company, month: date) -> tuple[str, str]:
    """Subject and text of the e-mail, in the recipient's language."""
    portal = settings.PORTAL_URL.rstrip("/")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        label = month_label(month)
        subject = _("Service review of %(company)s: %(month)s") % {
            "company": company.name, "month": label}
        if user.role == Role.CONTACT:
            link = portal + reverse("reports:list")
            why = _("You receive this e-mail because you asked for it. To stop it, untick "
                    "“E-mail me the review on the 1st of each month” at %(link)s.") % {
                "link": link}
        else:
            link = portal + reverse("tam:account", args=[company.pk]) + "#reports"
            why = _("You receive this e-mail as the account's Technical Account Manager.")
        body = _(
            "Hello %(name)s,\n\n"
            "the service review of %(company)s for %(month)s is attached as a PDF: the tickets "
            "filed, how fast we answered, the breaches, the signature changes and the notes "
            "of the Technical Account Manager.\n\n"
            "The review and the month's tickets as CSV are also in the portal: %(link)s\n\n"
            "%(why)s"
        ) % {"name": user.full_name, "company": company.name, "month": label, "link": link,
             "why": why}
    return subject[:300], body


def _claim_and_write(company: Company, month: date, user: User) -> bool:
    """Claim (company, month, user) and write its e-mail, in one transaction; ``False`` when
    someone else already has."""
    subject, body = _compose(user, company, month)
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to=user.email, subject=subject, body=body, language=user.language,
                report_company=company, report_month=month,
            )
            ReportDelivery.objects.create(company=company, month=month, recipient=user,
                                          email=email)
    except IntegrityError:
        return False
    return True


def monthly_reviews_send(now: datetime | None = None) -> int:
    """E-mail every due review to every recipient who has not had it; returns how many were
    written to the outbox. Safe to run any number of times, at once or in a row. A contact
    who opts in during the month, or a newly assigned TAM, gets the latest review at the
    next run. Steady state (nothing due): three queries."""
    now = now or timezone.now()
    due = due_reviews(now)
    recipients = _recipients(due)
    sent = _already_sent(due)
    written = 0
    for d in due:
        for user in _unsent(recipients[d.company.pk], d, sent):
            if _claim_and_write(d.company, d.month, user):
                written += 1
    if written:
        log.info("monthly reviews: %d e-mails written to the outbox", written)
        enqueue_on_commit(DELIVER_TASK)
    return written


def _unsent(users: Iterable[User], due: Due, sent: set[tuple[int, date, int]]) -> list[User]:
    return [u for u in users if (due.company.pk, due.month, u.pk) not in sent]
