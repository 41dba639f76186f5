"""The managed lists keep their history (who named, described or reordered an entry, and when), as
authorities do; the entries already defined get their first version now.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def record_existing_entries(apps, schema_editor):
    from django.utils import timezone

    now = timezone.now()
    for name in ("LegalProcess", "Product"):
        Model = apps.get_model("requests_app", name)
        History = apps.get_model("requests_app", f"Historical{name}")
        History.objects.bulk_create(
            History(
                id=entry.id,
                code=entry.code,
                name=entry.name,
                description=entry.description,
                position=entry.position,
                history_date=now,
                history_type="+",
            )
            for entry in Model.objects.order_by("id")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0018_international_body'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalLegalProcess',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(db_index=True, help_text='Used in import files and in the public data, e.g. search_warrant. Lower case, digits and underscores; cannot change once used.', max_length=40, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_]*$', 'Use lower-case letters, digits and underscores, starting with a letter or digit.')])),
                ('name', models.CharField(help_text='Shown in the report, e.g. Search warrant.', max_length=100)),
                ('description', models.TextField(blank=True, help_text='Shown on the methodology page.')),
                ('position', models.PositiveSmallIntegerField(default=100, help_text='Order in lists and tables.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical legal process',
                'verbose_name_plural': 'historical legal processes',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalProduct',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(db_index=True, help_text='Used in import files and in the public data, e.g. search_warrant. Lower case, digits and underscores; cannot change once used.', max_length=40, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_]*$', 'Use lower-case letters, digits and underscores, starting with a letter or digit.')])),
                ('name', models.CharField(help_text='Shown in the report, e.g. Search warrant.', max_length=100)),
                ('description', models.TextField(blank=True, help_text='Shown on the methodology page.')),
                ('position', models.PositiveSmallIntegerField(default=100, help_text='Order in lists and tables.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical product',
                'verbose_name_plural': 'historical products',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(record_existing_entries, migrations.RunPython.noop),
    ]
