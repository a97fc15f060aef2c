"""Faults: the database drops out under a request."""

from unittest import mock

from django.db import OperationalError


def test_a_database_outage_answers_503_on_pages_and_the_api(client, db):
    outage = OperationalError("server closed the connection unexpectedly")
    with mock.patch("pingan.views.DailyIndex.objects.current", side_effect=outage):
        page = client.get("/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    with mock.patch("pingan.api.DailyIndex.objects.current", side_effect=outage):
        api = client.get("/api/v1/index/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 503
    assert api.json() == {
        "detail": "The service is briefly unavailable; please try again in a moment.",
        "code": "unavailable",
    }
    assert client.get("/api/v1/index/").status_code == 200  # and it recovers with the database
