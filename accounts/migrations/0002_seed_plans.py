"""Seed the two support plans. Their limits are data: administrators edit them afterwards."""

from django.db import migrations

PLANS = [
    # code, name, contact limit, queue tier, required license
    ("enhanced", "Enhanced Premium Support", 8, 1, "plus"),
    ("standard", "Standard Support", 4, 2, ""),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    for code, name, limit, tier, license in PLANS:
        Plan.objects.get_or_create(
            code=code,
            defaults={"name": name, "contact_limit": limit, "priority_tier": tier,
                      "required_license": license},
        )


def unseed(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    Plan.objects.filter(code__in=[p[0] for p in PLANS], companies__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
