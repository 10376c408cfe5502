"""Seed the default SLA calendars and targets. Administrators edit them afterwards."""

from datetime import timedelta

from django.db import migrations

WEEKDAYS_9_TO_18 = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

# plan code -> severity -> (target, calendar name)
TARGETS = {
    "enhanced": {1: (timedelta(minutes=30), "24x7"), 2: (timedelta(hours=4), "24x7"),
                 3: (timedelta(hours=6), "24x7"), 4: (timedelta(hours=8), "24x7")},
    "standard": {1: (timedelta(hours=2), "24x7"),
                 2: (timedelta(hours=8), "Business hours (UTC)"),
                 3: (timedelta(hours=16), "Business hours (UTC)"),
                 4: (timedelta(hours=24), "Business hours (UTC)")},
}


def seed(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    SlaCalendar = apps.get_model("sla", "SlaCalendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    calendars = {
        "24x7": SlaCalendar.objects.get_or_create(
            name="24x7", defaults={"around_the_clock": True, "timezone": "UTC"})[0],
        "Business hours (UTC)": SlaCalendar.objects.get_or_create(
            name="Business hours (UTC)",
            defaults={"around_the_clock": False, "timezone": "UTC",
                      "weekly_hours": WEEKDAYS_9_TO_18})[0],
    }
    for code, targets in TARGETS.items():
        plan = Plan.objects.filter(code=code).first()
        if plan is None:
            continue
        for severity, (target, calendar) in targets.items():
            SlaPolicy.objects.get_or_create(
                plan=plan, severity=severity,
                defaults={"target": target, "calendar": calendars[calendar]},
            )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial"), ("accounts", "0002_seed_plans")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
