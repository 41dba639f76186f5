"""National-security rules that keep a band a band: widths of at least 100, and the widths a
computed band was published with (a re-publication keeps them)."""

import django.core.validators
from django.db import migrations, models


def widths_of_published_bands(apps, schema_editor):
    # Bands published so far were computed with their category's current widths.
    Band = apps.get_model("requests_app", "NationalSecurityBand")
    for band in Band.objects.filter(publication__source="computed").select_related("category"):
        band.requests_width, band.accounts_width = band.category.requests_band, band.category.accounts_band
        band.save(update_fields=["requests_width", "accounts_width"])


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0020_statement_languages'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='nationalsecuritycategory',
            name='ns_category_requests_band_gte_1',
        ),
        migrations.RemoveConstraint(
            model_name='nationalsecuritycategory',
            name='ns_category_accounts_band_gte_1',
        ),
        migrations.AddField(
            model_name='nationalsecurityband',
            name='accounts_width',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='nationalsecurityband',
            name='requests_width',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='nationalsecuritycategory',
            name='accounts_band',
            field=models.PositiveIntegerField(default=500, help_text='Width of the bands accounts are published in.', validators=[django.core.validators.MinValueValidator(100)]),
        ),
        migrations.AlterField(
            model_name='nationalsecuritycategory',
            name='requests_band',
            field=models.PositiveIntegerField(default=500, help_text='Width of the bands requests are published in (e.g. 500: 0–499). A period already published keeps the width it was published with.', validators=[django.core.validators.MinValueValidator(100)]),
        ),
        migrations.AddConstraint(
            model_name='nationalsecuritycategory',
            constraint=models.CheckConstraint(condition=models.Q(('requests_band__gte', 100)), name='ns_category_requests_band_min'),
        ),
        migrations.AddConstraint(
            model_name='nationalsecuritycategory',
            constraint=models.CheckConstraint(condition=models.Q(('accounts_band__gte', 100)), name='ns_category_accounts_band_min'),
        ),
        migrations.RunPython(widths_of_published_bands, migrations.RunPython.noop),
    ]
