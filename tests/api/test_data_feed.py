"""A data feed posts a day's counts for its indicator and reads the index back."""

import datetime

import pytest
from django.core.cache import cache

from pingan.models import DailyCount, Publication, Submission

DAY = "2026-11-09"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def post(client, body):
    return client.post("/api/v1/daily-counts/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_feed_declares_a_day_of_its_indicator(city, client_for):
    feed = client_for("feed")
    response = post(feed, {"date": DAY, "indicator": "fire", "counts": [{"town": "一镇", "count": 2, "deaths": 0}]})

    assert response.status_code == 201, response.content
    assert response.json() == {"date": DAY, "indicator": "fire", "rows": 1, "changed": True, "recomputed": False}
    assert Submission.objects.filter(date=DAY, indicator__code="fire").exists()
    assert list(DailyCount.objects.values_list("town__name", "count")) == [("一镇", 2)]
    again = post(feed, {"date": DAY, "indicator": "fire", "counts": [{"town": "一镇", "count": 2, "deaths": 0}]})
    assert again.json()["changed"] is False


def test_a_day_without_events_is_still_a_submission(city, client_for):
    assert post(client_for("feed"), {"date": DAY, "indicator": "fire", "counts": []}).status_code == 201
    assert Submission.objects.filter(date=DAY, indicator__code="fire").exists()
    assert not DailyCount.objects.exists()


def test_a_feed_may_not_write_another_indicator(city, client_for):
    response = post(client_for("feed"), {"date": DAY, "indicator": "traffic", "counts": []})
    assert response.status_code == 403
    assert response.json()["detail"] == "this data feed submits fire, not traffic"
    assert not Submission.objects.exists()


def test_only_feeds_write_counts(city, client_for, people):
    assert post(client_for("office"), {"date": DAY, "indicator": "fire", "counts": []}).status_code == 403
    assert post(client_for(None), {"date": DAY, "indicator": "fire", "counts": []}).status_code == 401


def test_a_feed_cannot_read_cases_or_tasks(city, client_for):
    for resource in ("cases", "tasks", "evaluations", "inbox", "accountability-records"):
        assert client_for("feed").get(f"/api/v1/{resource}/").status_code == 403


def test_a_bad_row_rejects_the_submission_and_names_it(city, client_for):
    body = {"date": DAY, "indicator": "fire", "counts": [{"town": "一镇", "count": 1}, {"town": "无此镇", "count": 1}]}
    response = post(client_for("feed"), body)
    assert response.status_code == 400
    assert response.json()["problems"] == [{"line": 2, "message": "unknown town '无此镇' in 测试市"}]
    assert not DailyCount.objects.exists() and not Submission.objects.exists()


def test_negative_counts_are_refused_by_the_schema(city, client_for):
    response = post(client_for("feed"), {"date": DAY, "indicator": "fire", "counts": [{"town": "一镇", "count": -1}]})
    assert response.status_code == 400 and "counts" in response.json()["fields"]


def test_a_correction_to_a_published_day_is_recomputed(city, client_for, publish):
    publish(datetime.date(2026, 11, 9), {})
    response = post(client_for("feed"), {"date": DAY, "indicator": "fire", "counts": [{"town": "一镇", "count": 5}]})
    assert response.json()["recomputed"] is True
    assert Publication.objects.filter(date=DAY).count() == 2
    index = client_for(None).get(
        "/api/v1/index/", {"date": DAY, "town": city.districts.first().towns.get(name="一镇").pk}
    )
    assert index.json()["results"][0]["items"]["fire"]["count"] == 5


def test_feed_posts_are_throttled(city, client_for, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "feed": "2/min"}
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        feed = client_for("feed")
        codes = [post(feed, {"date": DAY, "indicator": "fire", "counts": []}).status_code for _ in range(3)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [201, 201, 429]


def test_logins_are_throttled_and_failures_logged(db, people, caplog):
    from rest_framework.settings import api_settings
    from rest_framework.test import APIClient
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "login": "3/min"}
    try:
        client = APIClient()
        ok = client.post("/api/v1/auth/token/", {"username": "office", "password": "pw"})
        assert ok.status_code == 200 and ok.json()["token"]
        bad = client.post("/api/v1/auth/token/", {"username": "office", "password": "wrong"})
        assert bad.status_code == 400
        client.post("/api/v1/auth/token/", {"username": "office", "password": "wrong"})
        assert client.post("/api/v1/auth/token/", {"username": "office", "password": "pw"}).status_code == 429
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert "failed login for 'office'" in caplog.text
