"""Celery task of the monthly reviews (thin: it calls ``services``). Beat runs it every
``MONTHLY_REVIEW_SCAN_SECONDS`` (default hourly), so each account's review leaves within that
time of 00:00 on the 1st in the account's own time zone."""

from celery import shared_task

from tickets.reports import services


@shared_task(ignore_result=True)
def send_monthly_reviews() -> int:
    return services.monthly_reviews_send()
