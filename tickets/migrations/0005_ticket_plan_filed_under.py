"""Tickets keep the plan they were filed under (README, "Plan changes"). Existing tickets get
their company's current plan, which is the plan they were filed under as long as no plan was
changed before this migration."""

import django.db.models.deletion
from django.db import migrations, models


def fill_plan(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Company = apps.get_model("accounts", "Company")
    Ticket.objects.filter(plan__isnull=True).update(
        plan_id=models.Subquery(
            Company.objects.filter(pk=models.OuterRef("company_id")).values("plan_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("tickets", "0004_inbound_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="plan",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="accounts.plan", verbose_name="plan filed under",
            ),
        ),
        migrations.RunPython(fill_plan, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ticket",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="accounts.plan", verbose_name="plan filed under",
            ),
        ),
    ]
