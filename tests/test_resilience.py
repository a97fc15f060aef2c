"""Faults: the database drops out under a request."""

from unittest import mock

from django.db import OperationalError


def test_a_database_outage_answers_503_on_pages_and_the_api(client, db):
    outage = OperationalError("server closed the connection unexpectedly")
    unreachable = mock.patch("pingan.resilience.database_reachable", return_value=False)
    with unreachable, mock.patch("pingan.views.DailyIndex.objects.current", side_effect=outage):
        page = client.get("/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    with unreachable, mock.patch("pingan.api.DailyIndex.objects.current", side_effect=outage):
        api = client.get("/api/v1/index/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 503
    assert api.json() == {
        "detail": "The service is briefly unavailable; please try again in a moment.",
        "code": "unavailable",
    }
    assert client.get("/api/v1/index/").status_code == 200  # and it recovers with the database


def test_a_database_error_while_the_database_answers_is_a_500_not_an_outage(client, db):
    client.raise_request_exception = False
    refused = OperationalError("Expression tree is too large (maximum depth 1000)")
    with mock.patch("pingan.views.DailyIndex.objects.current", side_effect=refused):
        page = client.get("/")
    assert page.status_code == 500


def test_a_job_that_meets_a_database_outage_is_retried_not_lost(city, tmp_path):
    """With late acknowledgement a failed job is acknowledged all the same: without the retry, the
    day a worker tried to publish during a database restart would never be published."""
    import datetime

    from pingan.models import Publication
    from pingan.services.publication import publish_day
    from pingan.tasks import publish_day_task
    from tests.factories import submit_day

    day = datetime.date(2026, 11, 20)
    submit_day(tmp_path, city, day)
    attempts = []

    def outage_then_back(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("the database system is shutting down")
        return publish_day(*args, **kwargs)

    with mock.patch("pingan.tasks.publish_day", side_effect=outage_then_back):
        result = publish_day_task.apply(args=[day.isoformat()])

    assert len(attempts) == 2 and result.successful()
    assert Publication.objects.filter(date=day).count() == 1
