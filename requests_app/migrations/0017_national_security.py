"""National-security requests in a table of their own, their categories (each with its reporting
rule) and the bands publications carry; the "National security reviewer" role.

The three categories US law names are seeded with the bands most platforms use (500 wide) and
FISA's delay of 180 days; a cleared user adjusts them to the option the platform reports under.
"""

import django.core.validators
import django.db.models.deletion
import requests_app.models.base
import simple_history.models
from django.conf import settings
from django.db import migrations, models

CATEGORIES = [
    ("fisa_content", "FISA orders for content", "Orders of the Foreign Intelligence Surveillance Court "
     "for the content of communications (50 U.S.C. § 1881a and Title I).", 500, 500, 180),
    ("fisa_non_content", "FISA orders for non-content", "FISA orders for non-content information "
     "(e.g. subscriber records, pen registers).", 500, 500, 180),
    ("nsl", "National Security Letters", "Letters of the FBI for subscriber information, without a court "
     "order (18 U.S.C. § 2709).", 500, 500, 0),
]
ROLE = "National security reviewer"
ROLE_PERMISSIONS = [
    "handle_national_security",
    "view_nationalsecurityrequest",
    "add_nationalsecurityrequest",
    "change_nationalsecurityrequest",
    "view_nationalsecuritycategory",
    "add_nationalsecuritycategory",
    "change_nationalsecuritycategory",
]


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    Category = apps.get_model("requests_app", "NationalSecurityCategory")
    for position, (code, name, description, requests_band, accounts_band, delay) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                description=description,
                position=position,
                requests_band=requests_band,
                accounts_band=accounts_band,
                delay_days=delay,
            ),
        )
    app_config = apps.get_app_config("requests_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ROLE)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="requests_app", codename__in=ROLE_PERMISSIONS)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0016_managed_lists'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NationalSecurityCategory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Used in import files and in the public data, e.g. search_warrant. Lower case, digits and underscores; cannot change once used.', max_length=40, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_]*$', 'Use lower-case letters, digits and underscores, starting with a letter or digit.')])),
                ('name', models.CharField(help_text='Shown in the report, e.g. Search warrant.', max_length=100)),
                ('description', models.TextField(blank=True, help_text='Shown on the methodology page.')),
                ('position', models.PositiveSmallIntegerField(default=100, help_text='Order in lists and tables.')),
                ('requests_band', models.PositiveIntegerField(default=500, help_text='Width of the bands requests are published in (e.g. 500: 0–499).')),
                ('accounts_band', models.PositiveIntegerField(default=500, help_text='Width of the bands accounts are published in.')),
                ('delay_days', models.PositiveIntegerField(default=0, help_text='Days after a period ends before its figures may be published (FISA: 180).')),
            ],
            options={
                'verbose_name_plural': 'national-security categories',
                'ordering': ['position', 'name'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(('code__regex', '^[a-z0-9][a-z0-9_]*$')), name='ns_category_code_valid'), models.CheckConstraint(condition=models.Q(('requests_band__gte', 1)), name='ns_category_requests_band_gte_1'), models.CheckConstraint(condition=models.Q(('accounts_band__gte', 1)), name='ns_category_accounts_band_gte_1')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalNationalSecurityRequest',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('reference', models.CharField(db_index=True, help_text='Unique case id.', max_length=64)),
                ('country', requests_app.models.base.JurisdictionField(default='US', help_text='Jurisdiction of the issuing authority.', max_length=2)),
                ('accounts_specified', models.PositiveIntegerField(default=1, help_text='Accounts named (at least 1).')),
                ('received_on', models.DateField(help_text='Decides the report period the request counts in.')),
                ('status', models.CharField(choices=[('received', 'Received'), ('in_review', 'In review'), ('on_hold', 'On hold'), ('completed', 'Completed'), ('withdrawn', 'Withdrawn')], default='received', max_length=20)),
                ('outcome', models.CharField(blank=True, choices=[('all_data', 'All data produced'), ('some_data', 'Some data produced'), ('no_data', 'No data found'), ('rejected', 'Rejected')], max_length=20)),
                ('decided_on', models.DateField(blank=True, null=True)),
                ('internal_notes', models.TextField(blank=True, help_text='Never published.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('category', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='requests_app.nationalsecuritycategory')),
            ],
            options={
                'verbose_name': 'historical national-security request',
                'verbose_name_plural': 'historical national-security requests',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='NationalSecurityBand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('country', requests_app.models.base.JurisdictionField(max_length=2)),
                ('requests_min', models.PositiveIntegerField()),
                ('requests_max', models.PositiveIntegerField()),
                ('accounts_min', models.PositiveIntegerField()),
                ('accounts_max', models.PositiveIntegerField()),
                ('publication', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bands', to='requests_app.publication')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.nationalsecuritycategory')),
            ],
            options={
                'ordering': ['country', 'category__position', 'category__code'],
                'constraints': [models.UniqueConstraint(fields=('publication', 'country', 'category'), name='band_unique_per_publication'), models.CheckConstraint(condition=models.Q(('requests_min__lte', models.F('requests_max'))), name='band_requests_ordered'), models.CheckConstraint(condition=models.Q(('accounts_min__lte', models.F('accounts_max'))), name='band_accounts_ordered')],
            },
        ),
        migrations.CreateModel(
            name='NationalSecurityRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reference', models.CharField(help_text='Unique case id.', max_length=64, unique=True)),
                ('country', requests_app.models.base.JurisdictionField(default='US', help_text='Jurisdiction of the issuing authority.', max_length=2)),
                ('accounts_specified', models.PositiveIntegerField(default=1, help_text='Accounts named (at least 1).')),
                ('received_on', models.DateField(help_text='Decides the report period the request counts in.')),
                ('status', models.CharField(choices=[('received', 'Received'), ('in_review', 'In review'), ('on_hold', 'On hold'), ('completed', 'Completed'), ('withdrawn', 'Withdrawn')], default='received', max_length=20)),
                ('outcome', models.CharField(blank=True, choices=[('all_data', 'All data produced'), ('some_data', 'Some data produced'), ('no_data', 'No data found'), ('rejected', 'Rejected')], max_length=20)),
                ('decided_on', models.DateField(blank=True, null=True)),
                ('internal_notes', models.TextField(blank=True, help_text='Never published.')),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='requests_app.nationalsecuritycategory')),
            ],
            options={
                'verbose_name': 'national-security request',
                'ordering': ['-received_on', 'reference'],
                'permissions': [('handle_national_security', 'Can see and handle national-security requests')],
                'indexes': [models.Index(fields=['received_on', 'country', 'category'], name='ns_request_period_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['received', 'in_review', 'on_hold', 'completed', 'withdrawn'])), name='ns_request_status_valid'), models.CheckConstraint(condition=models.Q(('outcome__in', ['', 'all_data', 'some_data', 'no_data', 'rejected'])), name='ns_request_outcome_valid'), models.CheckConstraint(condition=models.Q(('accounts_specified__gte', 1)), name='ns_request_accounts_gte_1'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), models.Q(('outcome', ''), _negated=True), ('decided_on__isnull', False)), models.Q(models.Q(('status', 'completed'), _negated=True), ('outcome', '')), _connector='OR'), name='ns_request_outcome_iff_completed'), models.CheckConstraint(condition=models.Q(('decided_on__isnull', True), ('decided_on__gte', models.F('received_on')), _connector='OR'), name='ns_request_decided_not_before_received')],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
