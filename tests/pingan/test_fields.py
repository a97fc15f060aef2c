import datetime

import pytest
from django.db import connection

from pingan.models import DailyIndex
from pingan.services.publication import publish_day
from tests.factories import submit_day

DAY = datetime.date(2026, 11, 20)


def test_index_items_are_read_back_whole_and_by_key_path(city, tmp_path):
    submit_day(tmp_path, city, DAY, {("一镇", "crime"): (8, 0)})
    publish_day(DAY, open_cases=False)

    row = DailyIndex.objects.current().get(date=DAY, town__name="一镇")
    assert row.items["crime"] == {"count": 8, "deaths": 0, "grade": "good", "points": 80}  # q 0.8: good
    by_path = DailyIndex.objects.filter(pk=row.pk).values_list("items__crime__grade", flat=True).get()
    assert by_path == "good"
    assert DailyIndex.objects.filter(pk=row.pk).values_list("items", flat=True).get() == row.items


@pytest.mark.postgres  # on SQLite, Django's own JSONField reads a key path's "1" as 1
def test_a_string_inside_the_items_is_read_as_written(city, tmp_path):
    submit_day(tmp_path, city, DAY, {("一镇", "crime"): (8, 0)})
    publish_day(DAY, open_cases=False)
    rows = DailyIndex.objects.current().filter(date=DAY, town__name="一镇")
    rows.update(items={"crime": {"grade": "1", "note": "null"}})

    assert rows.values_list("items__crime__grade", "items__crime__note").get() == ("1", "null")
    assert rows.get().items == {"crime": {"grade": "1", "note": "null"}}


@pytest.mark.postgres
def test_index_items_are_stored_as_json_text_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = 'items'",
            [DailyIndex._meta.db_table],
        )
        assert cursor.fetchone() == ("json",)
