"""The update cadence (SPEC §12), major incidents (§13), fix verification and sample custody
(§7), and automatic notices (§4). Seeds the one signature-request policy row with its defaults
(24-hour updates, 7 days to confirm a fix, samples kept 30 days after closing)."""

import datetime
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def seed(apps, schema_editor):
    SignaturePolicy = apps.get_model("tickets", "SignaturePolicy")
    if not SignaturePolicy.objects.exists():
        SignaturePolicy.objects.create(
            update_interval=datetime.timedelta(hours=24),
            verification_window=datetime.timedelta(days=7),
            sample_retention=datetime.timedelta(days=30),
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_identity_and_audit'),
        ('tickets', '0009_outbox_retry_schedule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Incident',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('description', models.TextField(verbose_name='description')),
                ('severity', models.PositiveSmallIntegerField(choices=[(1, '1 – Critical'), (2, '2 – High'), (3, '3 – Medium'), (4, '4 – Low')], validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(4)], verbose_name='severity')),
                ('status', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved')], default='investigating', max_length=16, verbose_name='status')),
                ('product', models.CharField(blank=True, help_text='Contacts filing a request about this product are offered to link it.', max_length=120, verbose_name='product')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='opened at')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last update at')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
            ],
            options={
                'verbose_name': 'major incident',
                'verbose_name_plural': 'major incidents',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='IncidentDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
            ],
            options={
                'verbose_name': 'incident update delivery',
                'verbose_name_plural': 'incident update deliveries',
            },
        ),
        migrations.CreateModel(
            name='IncidentLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('linked_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='linked at')),
            ],
            options={
                'verbose_name': 'linked ticket',
                'verbose_name_plural': 'linked tickets',
                'ordering': ['linked_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='IncidentNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='sent at')),
            ],
            options={
                'verbose_name': 'incident update e-mail',
                'verbose_name_plural': 'incident update e-mails',
            },
        ),
        migrations.CreateModel(
            name='IncidentUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(verbose_name='text')),
                ('status', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved')], max_length=16, verbose_name='status')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='posted at')),
                ('tickets_total', models.PositiveIntegerField(default=0, verbose_name='linked tickets')),
            ],
            options={
                'verbose_name': 'incident update',
                'verbose_name_plural': 'incident updates',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='SignaturePolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('update_interval', models.DurationField(blank=True, default=datetime.timedelta(days=1), help_text='A public update of the expert group is due this long after the last one, around the clock, until the request is released or rejected. Empty: no update cadence.', null=True, verbose_name='update interval while in analysis')),
                ('verification_window', models.DurationField(default=datetime.timedelta(days=7), help_text='After a release, a request the customer does not confirm within this time is taken as fixed.', verbose_name='time to confirm a fix')),
                ('sample_retention', models.DurationField(default=datetime.timedelta(days=30), help_text='The bytes of a sample are deleted this long after its request is closed; its SHA-256, size and name are kept.', verbose_name='sample retention after closing')),
            ],
            options={
                'verbose_name': 'signature request policy',
                'verbose_name_plural': 'signature request policy',
            },
        ),
        migrations.CreateModel(
            name='UpdateInterval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('due_at', models.DateTimeField(verbose_name='update due at')),
                ('settled_at', models.DateTimeField(verbose_name='settled at')),
                ('on_time', models.BooleanField(verbose_name='updated on time')),
            ],
            options={
                'verbose_name': 'update interval',
                'verbose_name_plural': 'update intervals',
                'ordering': ['due_at', 'pk'],
            },
        ),
        migrations.AddField(
            model_name='comment',
            name='automatic',
            field=models.BooleanField(default=False, verbose_name='automatic notice'),
        ),
        migrations.AddField(
            model_name='signaturerequest',
            name='sample_deleted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='sample deleted at'),
        ),
        migrations.AddField(
            model_name='signaturerequest',
            name='verification_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='verification at'),
        ),
        migrations.AddField(
            model_name='signaturerequest',
            name='verification_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='confirmation due by'),
        ),
        migrations.AddField(
            model_name='signaturerequest',
            name='verification_state',
            field=models.CharField(blank=True, choices=[('pending', "Waiting for the customer's confirmation"), ('fixed', 'Confirmed fixed by the customer'), ('still_detected', 'Still detected, reported by the customer'), ('assumed_fixed', 'Taken as fixed (no answer in time)')], max_length=16, verbose_name='fix verification'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='update_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='next update due'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='updates_missed',
            field=models.PositiveIntegerField(default=0, verbose_name='updates missed'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Ticket filed'), ('status', 'Status changed'), ('severity', 'Severity changed'), ('assignee', 'Assignee changed'), ('reply', 'Public reply'), ('note', 'Internal note'), ('attachment', 'Attachment added'), ('first_response', 'First response'), ('sla_warning', 'SLA warning'), ('sla_breach', 'SLA breached'), ('deadline', 'Response deadline changed'), ('reopened', 'Reopened by the customer'), ('signature', 'Signature request status'), ('update_overdue', 'Update overdue'), ('incident', 'Major incident'), ('verification', 'Fix verification'), ('sample_deleted', 'Sample deleted')], max_length=20, verbose_name='event'),
        ),
        migrations.AddIndex(
            model_name='signaturerequest',
            index=models.Index(condition=models.Q(('verification_state', 'pending')), fields=['verification_due_at'], name='sigreq_verification_due'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status', 'open'), ('update_due_at__isnull', False)), fields=['update_due_at'], name='ticket_update_due'),
        ),
        migrations.AddField(
            model_name='incident',
            name='created_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='opened by'),
        ),
        migrations.AddField(
            model_name='incidentdelivery',
            name='comment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.comment', verbose_name='reply'),
        ),
        migrations.AddField(
            model_name='incidentdelivery',
            name='ticket',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.ticket', verbose_name='ticket'),
        ),
        migrations.AddField(
            model_name='incidentlink',
            name='incident',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links', to='tickets.incident', verbose_name='incident'),
        ),
        migrations.AddField(
            model_name='incidentlink',
            name='linked_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='linked by'),
        ),
        migrations.AddField(
            model_name='incidentlink',
            name='ticket',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='incident_link', to='tickets.ticket', verbose_name='ticket'),
        ),
        migrations.AddField(
            model_name='incidentnotice',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requester'),
        ),
        migrations.AddField(
            model_name='incidentupdate',
            name='author',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author'),
        ),
        migrations.AddField(
            model_name='incidentupdate',
            name='incident',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='tickets.incident', verbose_name='incident'),
        ),
        migrations.AddField(
            model_name='incidentnotice',
            name='update',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.incidentupdate', verbose_name='update'),
        ),
        migrations.AddField(
            model_name='incidentdelivery',
            name='update',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='tickets.incidentupdate', verbose_name='update'),
        ),
        migrations.AddField(
            model_name='updateinterval',
            name='ticket',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='update_intervals', to='tickets.ticket', verbose_name='ticket'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['status', '-created_at'], name='incident_status'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.CheckConstraint(condition=models.Q(('severity__gte', 1), ('severity__lte', 4)), name='incident_severity_1_4'),
        ),
        migrations.AddIndex(
            model_name='incidentlink',
            index=models.Index(fields=['incident', 'linked_at'], name='incident_link_at'),
        ),
        migrations.AddIndex(
            model_name='incidentupdate',
            index=models.Index(fields=['incident', '-created_at'], name='incident_update_at'),
        ),
        migrations.AddConstraint(
            model_name='incidentnotice',
            constraint=models.UniqueConstraint(fields=('update', 'user'), name='incident_notice_once'),
        ),
        migrations.AddIndex(
            model_name='incidentdelivery',
            index=models.Index(condition=models.Q(('delivered_at__isnull', True)), fields=['update', 'id'], name='incident_delivery_pending'),
        ),
        migrations.AddConstraint(
            model_name='incidentdelivery',
            constraint=models.UniqueConstraint(fields=('update', 'ticket'), name='incident_delivery_once'),
        ),
        migrations.AddIndex(
            model_name='updateinterval',
            index=models.Index(fields=['settled_at'], name='update_interval_settled'),
        ),
        migrations.AddConstraint(
            model_name='updateinterval',
            constraint=models.UniqueConstraint(fields=('ticket', 'due_at'), name='update_interval_once'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
