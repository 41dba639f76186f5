"""Legal processes and products become managed lists that requests and figure rows refer to by
code; figure rows gain the breakdowns, blanks for "not reported" and percentages as published.

The desk's former fixed legal processes become the list's first rows; each product a request
recorded as free text becomes a product (its code made from its name) and the request keeps it.
A blank becomes NULL (nothing referred to) before the columns become foreign keys.
"""

import re

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

LEGAL_PROCESSES = [
    ("subpoena", "Subpoena", "A demand for records issued by a prosecutor or a court clerk, usually for "
     "subscriber information and non-content records."),
    ("search_warrant", "Search warrant", "An order of a judge, on a showing of probable cause, that can "
     "compel content."),
    ("court_order", "Court order", "Another order of a court, e.g. for non-content records."),
    ("wiretap", "Wiretap order", "An order for the interception of communications in real time."),
    ("pen_register", "Pen register / trap and trace", "An order for the real-time collection of "
     "non-content routing information."),
    ("mlat", "MLAT request", "A request from a foreign government made through a mutual legal "
     "assistance treaty."),
    ("other", "Other legal process", "Legal process of any other kind."),
]


def product_code(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "product"


def to_managed_lists(apps, schema_editor):
    LegalProcess = apps.get_model("requests_app", "LegalProcess")
    Product = apps.get_model("requests_app", "Product")
    for position, (code, name, description) in enumerate(LEGAL_PROCESSES):
        LegalProcess.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "position": position}
        )
    for model in ("DataRequest", "HistoricalDataRequest"):
        Model = apps.get_model("requests_app", model)
        Model.objects.filter(legal_process="").update(legal_process=None)
        Model.objects.filter(product="").update(product=None)
        names = Model.objects.exclude(product=None).values_list("product", flat=True).distinct()
        for name in list(names):
            product, _ = Product.objects.get_or_create(code=product_code(name), defaults={"name": name[:100]})
            if product.code != name:
                Model.objects.filter(product=name).update(product=product.code)


def type_medians_of_existing_rows(apps, schema_editor):
    # Until now a publication had one row per (country, type): its median is the type's.
    FigureRow = apps.get_model("requests_app", "FigureRow")
    FigureRow.objects.update(type_median_days_to_decision=models.F("median_days_to_decision"))


def let_roles_use_managed_lists(apps, schema_editor):
    """Every role reads the lists; Publishers keep them. A targeted grant (see 0006)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("requests_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app = Permission.objects.filter(content_type__app_label="requests_app")
    view = list(app.filter(codename__in=["view_legalprocess", "view_product"]))
    keep = list(app.filter(codename__regex=r"^(add|change|delete)_(legalprocess|product)$"))
    for group in Group.objects.filter(name__in=["Reviewer", "Publisher", "Auditor"]):
        group.permissions.add(*view)
        if group.name == "Publisher":
            group.permissions.add(*keep)


def from_managed_lists(apps, schema_editor):
    for model in ("DataRequest", "HistoricalDataRequest"):
        Model = apps.get_model("requests_app", model)
        Model.objects.filter(legal_process=None).update(legal_process="")
        Model.objects.filter(product=None).update(product="")


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0015_outcome_reason_rows'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LegalProcess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Used in import files and in the public data, e.g. search_warrant. Lower case, digits and underscores; cannot change once used.', max_length=40, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_]*$', 'Use lower-case letters, digits and underscores, starting with a letter or digit.')])),
                ('name', models.CharField(help_text='Shown in the report, e.g. Search warrant.', max_length=100)),
                ('description', models.TextField(blank=True, help_text='Shown on the methodology page.')),
                ('position', models.PositiveSmallIntegerField(default=100, help_text='Order in lists and tables.')),
            ],
            options={
                'verbose_name_plural': 'legal processes',
                'ordering': ['position', 'name'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Product',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Used in import files and in the public data, e.g. search_warrant. Lower case, digits and underscores; cannot change once used.', max_length=40, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_]*$', 'Use lower-case letters, digits and underscores, starting with a letter or digit.')])),
                ('name', models.CharField(help_text='Shown in the report, e.g. Search warrant.', max_length=100)),
                ('description', models.TextField(blank=True, help_text='Shown on the methodology page.')),
                ('position', models.PositiveSmallIntegerField(default=100, help_text='Order in lists and tables.')),
            ],
            options={
                'ordering': ['position', 'name'],
                'abstract': False,
            },
        ),
        migrations.AlterModelOptions(
            name='figurerow',
            options={'ordering': ['country', 'request_type', 'legal_process', 'product']},
        ),
        migrations.RemoveConstraint(
            model_name='datarequest',
            name='request_legal_process_valid',
        ),
        migrations.RemoveConstraint(
            model_name='figurerow',
            name='figure_unique_per_publication',
        ),
        migrations.RemoveConstraint(
            model_name='figurerow',
            name='figure_request_type_valid',
        ),
        migrations.AddField(
            model_name='figurerow',
            name='type_median_days_to_decision',
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=8, null=True),
        ),
        migrations.RunPython(type_medians_of_existing_rows, migrations.RunPython.noop),
        migrations.AddField(
            model_name='figurerow',
            name='percent_as_published',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=7, null=True),
        ),
        migrations.AlterField(
            model_name='figurerow',
            name='accounts_specified',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='figurerow',
            name='request_type',
            field=models.CharField(choices=[('legal_process', 'Legal process'), ('emergency', 'Emergency disclosure'), ('preservation', 'Preservation'), ('all', 'All request types')], max_length=20),
        ),
        migrations.AlterField(
            model_name='figurerow',
            name='requests_with_data_produced',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='legalprocess',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[a-z0-9][a-z0-9_]*$')), name='legal_process_code_valid'),
        ),
        migrations.AddField(
            model_name='figurerow',
            name='legal_process',
            field=models.ForeignKey(blank=True, db_column='legal_process', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.legalprocess', to_field='code'),
        ),
        migrations.AlterField(
            model_name='datarequest',
            name='legal_process',
            field=models.CharField(max_length=100, null=True, blank=True),
        ),
        migrations.AlterField(
            model_name='datarequest',
            name='product',
            field=models.CharField(max_length=100, null=True, blank=True),
        ),
        migrations.AlterField(
            model_name='historicaldatarequest',
            name='legal_process',
            field=models.CharField(max_length=100, null=True, blank=True),
        ),
        migrations.AlterField(
            model_name='historicaldatarequest',
            name='product',
            field=models.CharField(max_length=100, null=True, blank=True),
        ),
        migrations.RunPython(to_managed_lists, from_managed_lists),
        migrations.AlterField(
            model_name='datarequest',
            name='legal_process',
            field=models.ForeignKey(blank=True, db_column='legal_process', db_index=False, help_text='Kind of legal process (legal-process requests only).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.legalprocess', to_field='code'),
        ),
        migrations.AlterField(
            model_name='historicaldatarequest',
            name='legal_process',
            field=models.ForeignKey(blank=True, db_column='legal_process', db_constraint=False, help_text='Kind of legal process (legal-process requests only).', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='requests_app.legalprocess', to_field='code'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[a-z0-9][a-z0-9_]*$')), name='product_code_valid'),
        ),
        migrations.AddField(
            model_name='figurerow',
            name='product',
            field=models.ForeignKey(blank=True, db_column='product', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.product', to_field='code'),
        ),
        migrations.AlterField(
            model_name='datarequest',
            name='product',
            field=models.ForeignKey(blank=True, db_column='product', db_index=False, help_text='The product the request is about.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.product', to_field='code'),
        ),
        migrations.AlterField(
            model_name='historicaldatarequest',
            name='product',
            field=models.ForeignKey(blank=True, db_column='product', db_constraint=False, help_text='The product the request is about.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='requests_app.product', to_field='code'),
        ),
        migrations.AddConstraint(
            model_name='datarequest',
            constraint=models.CheckConstraint(condition=models.Q(('legal_process__isnull', True), ('request_type', 'legal_process'), _connector='OR'), name='request_legal_process_only_legal'),
        ),
        migrations.AddConstraint(
            model_name='figurerow',
            constraint=models.UniqueConstraint(models.F('publication'), models.F('country'), models.F('request_type'), django.db.models.functions.comparison.Coalesce('legal_process', models.Value('')), django.db.models.functions.comparison.Coalesce('product', models.Value('')), name='figure_unique_per_publication'),
        ),
        migrations.AddConstraint(
            model_name='figurerow',
            constraint=models.CheckConstraint(condition=models.Q(('request_type__in', ['legal_process', 'emergency', 'preservation', 'all'])), name='figure_request_type_valid'),
        ),
        migrations.AddConstraint(
            model_name='figurerow',
            constraint=models.CheckConstraint(condition=models.Q(('legal_process__isnull', True), ('request_type', 'legal_process'), _connector='OR'), name='figure_legal_process_only_legal'),
        ),
        migrations.AddConstraint(
            model_name='figurerow',
            constraint=models.CheckConstraint(condition=models.Q(('percent_as_published__gte', 0), ('percent_as_published__lte', 100)), name='figure_percent_0_100'),
        ),
        migrations.RunPython(let_roles_use_managed_lists, migrations.RunPython.noop),
    ]
