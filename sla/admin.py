"""Django admin for SLA data: calendars (with their holidays) and the per-plan targets.
Targets are data an administrator edits (SPEC §4); a change applies to tickets filed after it
(and to deadlines recomputed by a severity change)."""

from django.contrib import admin

from sla.models import Holiday, SlaCalendar, SlaPolicy


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1
    fields = ["date", "name"]


@admin.register(SlaCalendar)
class SlaCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "around_the_clock", "timezone"]
    list_filter = ["around_the_clock"]
    search_fields = ["name"]
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["plan", "severity", "target", "calendar", "warning_percent",
                    "update_interval"]
    list_filter = ["plan", "calendar"]
    list_select_related = ["plan", "calendar"]
    ordering = ["plan__priority_tier", "plan__code", "severity"]
    autocomplete_fields = ["calendar"]
