# The index rows' items become PostgreSQL json (a rewrite of the table: minutes for years of rows, see
# docs/DEPLOY.md, upgrades); every row goes into town_index_unique_revision, which then also serves the
# reads by day that index_by_day served.

import pingan.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('pingan', '0009_index_rows_not_indexed_by_publication'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='dailyindex',
            name='town_index_unique_revision',
        ),
        migrations.RemoveIndex(
            model_name='dailyindex',
            name='index_by_day',
        ),
        migrations.AlterField(
            model_name='dailyindex',
            name='items',
            field=pingan.fields.WholeJSONField(help_text='Per indicator code: count, deaths, grade, points.', verbose_name='items'),
        ),
        migrations.AddConstraint(
            model_name='dailyindex',
            constraint=models.UniqueConstraint(fields=('date', 'town', 'revision'), name='town_index_unique_revision'),
        ),
    ]
