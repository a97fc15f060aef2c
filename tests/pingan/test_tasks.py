"""The morning job: publishes yesterday (Asia/Shanghai), idempotently."""

import datetime
import time
import zoneinfo

import pytest
import time_machine

from pingan.models import DailyIndex, Publication
from pingan.tasks import publish_day_task, publish_yesterday
from tests.factories import submit_day

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 20)


def test_the_morning_job_publishes_yesterday_in_shanghai_time(city, tmp_path):
    submit_day(tmp_path, city, DAY)
    # 01:30 in Shanghai is still the previous evening in UTC
    with time_machine.travel(datetime.datetime(2026, 11, 21, 1, 30, tzinfo=SHANGHAI), tick=False):
        result = publish_yesterday()
    assert result == {"day": "2026-11-20", "published": {"测试市": 1}, "problems": {}}
    assert DailyIndex.objects.filter(date=DAY).count() == 5


def test_running_the_job_twice_publishes_once(city, tmp_path):
    submit_day(tmp_path, city, DAY)
    publish_day_task("2026-11-20")
    second = publish_day_task("2026-11-20")
    assert second["published"] == {"测试市": None}
    assert Publication.objects.count() == 1 and DailyIndex.objects.count() == 5


def test_a_day_that_cannot_be_scored_is_reported_and_logged(city, caplog):
    result = publish_day_task("2026-11-20")
    assert result["published"] == {}
    assert any("no submission of crime" in p for p in result["problems"]["测试市"])
    assert "not published: no submission of crime" in caplog.text


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_the_job_runs_through_a_real_broker_and_worker(tmp_path):
    from celery.contrib.testing.worker import start_worker

    from pingan.celery import app
    from tests.factories import make_small_city

    city = make_small_city()
    submit_day(tmp_path, city, DAY)
    app.conf.task_always_eager = False
    app.control.purge()  # messages left on the broker by other runs would be worked first
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        publish_day_task.delay("2026-11-20")
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=20)
        while not DailyIndex.objects.filter(date=DAY).exists() and datetime.datetime.now() < deadline:
            time.sleep(0.1)
    app.conf.task_always_eager = True
    assert DailyIndex.objects.filter(date=DAY).count() == 5


def test_the_morning_job_opens_cases_through_a_follow_up_job(city, tmp_path):
    from workflows.models import Case

    submit_day(tmp_path, city, DAY, {("三镇", "traffic"): (1, 1)})  # a death: red
    publish_day_task("2026-11-20")  # jobs run inline in the tests
    assert Case.objects.get().town.name == "三镇"
