"""The in-portal bell: unread count, the list, and marking as read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import page_user
from support_portal.kernel.pagination import NOTIFICATIONS_PAGE_SIZE
from tickets.models import Notification


@login_required
def badge(request: HttpRequest) -> HttpResponse:
    """The bell's unread count (polled by htmx; one query)."""
    unread = Notification.objects.filter(user=page_user(request), read_at__isnull=True).count()
    return render(request, "notifications/_badge.html", {"unread": unread})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(user=page_user(request)).select_related("ticket")
    page = Paginator(notes, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=page_user(request), read_at__isnull=True).count()
    return render(request, "notifications/list.html", {"page": page, "unread": unread})


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go to its ticket."""
    note = get_object_or_404(Notification, pk=notification_id, user=page_user(request))
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    if note.ticket_id:
        return redirect("tickets:detail", ticket_id=note.ticket_id)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=page_user(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications:list")
