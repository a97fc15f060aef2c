"""Two publishers of the same day at the same moment (two workers, or beat and an operator)."""

import datetime
import threading

import pytest
from django.db import connection

from pingan.models import DailyIndex, Publication
from pingan.services.publication import publish_day
from tests.factories import make_small_city, submit_day

DAY = datetime.date(2026, 11, 20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_publications_of_a_day_write_it_once(tmp_path):
    city = make_small_city()
    submit_day(tmp_path, city, DAY, {("一镇", "crime"): (30, 0)})
    start = threading.Barrier(2)
    results, errors = [], []

    def publisher():
        try:
            start.wait()
            results.append(publish_day(DAY))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publisher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    written = sorted(r.published[0].rows_written for r in results)
    assert written == [0, 5]  # one wrote the day, the other found it already published
    assert Publication.objects.count() == 1
    assert DailyIndex.objects.filter(date=DAY, is_current=True).count() == 5
    assert DailyIndex.objects.count() == 5
