"""The update cadence (SPEC §12): an optional update interval per (plan, severity) policy, with
the seeded defaults. Administrators edit them afterwards."""

from datetime import timedelta

from django.db import migrations, models

# plan code -> severity -> update interval (absent: no cadence). The standard plan has none.
INTERVALS = {
    "enhanced": {1: timedelta(hours=1), 2: timedelta(hours=4), 3: timedelta(hours=24)},
}


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for code, intervals in INTERVALS.items():
        for severity, interval in intervals.items():
            SlaPolicy.objects.filter(plan__code=code, severity=severity,
                                     update_interval__isnull=True) \
                .update(update_interval=interval)


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_seed_policies")]

    operations = [
        migrations.AddField(
            model_name="slapolicy",
            name="update_interval",
            field=models.DurationField(
                blank=True, null=True, verbose_name="update interval",
                help_text="After the first response, the next public update is due this long "
                          "after the last one, in the policy's calendar. Empty: no update "
                          "cadence.",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
