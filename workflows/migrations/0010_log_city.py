"""The transition log's rows carry the city of their case, indexed with the id: a city's latest rows are
the key of what is kept per city (the supervision board's lists, workflows/board_cache.py)."""

import django.db.models.deletion
from django.db import migrations, models

# The rows written before: the city of their case's town (rows without a case, evaluations', keep none).
FILL = """
UPDATE workflows_transitionlog SET city_id = (
    SELECT d.city_id FROM workflows_case c
    JOIN pingan_town t ON t.id = c.town_id
    JOIN pingan_district d ON d.id = t.district_id
    WHERE c.id = workflows_transitionlog.case_id
) WHERE case_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pingan", "0010_index_items_as_json_one_index_fewer"),
        ("workflows", "0009_sweep_marks"),
    ]

    operations = [
        migrations.AddField(
            model_name="transitionlog",
            name="city",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The city of the case this row is filed under.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="pingan.city",
                verbose_name="city",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="transitionlog",
            index=models.Index(fields=["city", "id"], name="log_by_city"),
        ),
    ]
