"""A city-wide user's pages of the task list are kept until the workflow of their cities moves
(workflows/kept.py): a second look reads the log's state, not the tasks, and any transition of the city,
or the day turning, shows on the next look. Nobody else's pages are kept."""

from __future__ import annotations

import datetime
import re
import time
import zoneinfo
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pingan.models import City, Town
from pingan.pagination import BoundedPagination
from workflows import kept
from workflows.models import RectificationTask, TransitionLog
from workflows.services import rectification

TASKS = "workflows_rectificationtask"
LOG = "workflows_transitionlog"


def look(client, url: str = "/api/v1/tasks/") -> tuple[dict, set[str]]:
    """The page's JSON and the tables its request read."""
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200, answer.content
    return answer.json(), {table for q in queries for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])}


def states(page: dict) -> dict[int, str]:
    return {row["id"]: row["state"] for row in page["results"]}


def other_officer(other_office) -> APIClient:
    """The other city's safety office (the other_office fixture: the office of 测试市 now sees one city of
    two), through the API."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_office).key}")
    return api


def test_an_offices_second_look_reads_the_logs_state_not_the_tasks(world, client_for):
    office = client_for("office")
    first, read = look(office)
    again, read_again = look(office)
    assert TASKS in read and LOG in read
    assert TASKS not in read_again and LOG in read_again
    assert again == first and len(first["results"]) == RectificationTask.objects.count() == 2


def test_a_transition_of_the_city_shows_on_the_offices_next_look(world, client_for):
    office, task = client_for("office"), world["一镇"]["tasks"]
    assert states(look(office)[0])[task.pk] == "assigned"
    assert client_for("police").post(f"/api/v1/tasks/{task.pk}/accept/").status_code == 200
    page, read = look(office)
    assert states(page)[task.pk] == "accepted" and TASKS in read


def test_an_extension_approved_moves_the_deadline_on_the_next_look(world, people, client_for):
    office, task = client_for("office"), world["一镇"]["tasks"]
    extension = world["一镇"]["extensions"]
    before = {row["id"]: row["deadline"] for row in look(office)[0]["results"]}[task.pk]
    rectification.extension_approve(request_id=extension.pk, user=people["office"])
    after = {row["id"]: row["deadline"] for row in look(office)[0]["results"]}[task.pk]
    task.refresh_from_db()
    assert after == task.deadline.isoformat() != before


def test_a_transition_of_another_city_leaves_the_page_kept(world, people, client_for, other_office):
    city = City.objects.get(name="其他市")
    office = client_for("office")
    look(office)
    TransitionLog.objects.create(city=city, subject="case", subject_id=1, transition="open", source="", target="x")
    assert TASKS not in look(office)[1]
    rectification.task_accept(task_id=world["一镇"]["tasks"].pk, user=people["police"])  # this city's
    assert TASKS in look(office)[1]


def test_the_offices_of_two_cities_share_no_page(world, client_for, other_office):
    assert len(look(client_for("office"))[0]["results"]) == 2  # kept for 测试市's office
    page, read = look(other_officer(other_office))
    assert page["results"] == [] and page["count"] == 0 and TASKS in read


def test_the_offices_of_two_cities_share_no_page_even_in_the_same_state_of_the_log(world, client_for, other_office):
    """The scope is in the key (the statement and its parameters), not only in the log's state."""
    api = other_officer(other_office)
    with mock.patch.object(kept, "workflow_state", return_value=("the same",)):
        assert len(look(client_for("office"))[0]["results"]) == 2
        assert look(api)[0]["results"] == []


def test_filters_and_pages_are_kept_apart(world, people, client_for):
    rectification.task_accept(task_id=world["一镇"]["tasks"].pk, user=people["police"])
    office = client_for("office")
    with mock.patch.object(BoundedPagination, "page_size", 1):
        pages = [look(office, url)[0] for _ in range(2) for url in ("/api/v1/tasks/", "/api/v1/tasks/?page=2")]
        accepted = [look(office, "/api/v1/tasks/?state=accepted")[0] for _ in range(2)]
        assigned = look(office, "/api/v1/tasks/?state=assigned")[0]  # the same statement, another parameter
        with mock.patch.object(BoundedPagination, "count_limit", 1):
            capped = look(office)[0]  # counted to another limit: another page
    assert pages[0] == pages[2] and pages[1] == pages[3]
    assert pages[0]["results"][0]["id"] != pages[1]["results"][0]["id"] and pages[0]["count"] == 2
    assert accepted[0] == accepted[1] and [row["state"] for row in accepted[0]["results"]] == ["accepted"]
    assert [row["state"] for row in assigned["results"]] == ["assigned"]
    assert capped["count"] is None and capped["results"] == pages[0]["results"]


@pytest.mark.parametrize("role", ["town", "police", "district", "traffic_dept"])
def test_nobody_elses_pages_are_kept(world, client_for, role):
    client = client_for(role)
    first, _ = look(client)
    again, read = look(client)
    assert again == first and TASKS in read


def test_leaderships_pages_are_kept_as_the_offices(world, client_for):
    leader = client_for("leader")
    look(leader)
    assert TASKS not in look(leader)[1]


def test_a_task_turns_overdue_on_the_first_look_after_midnight(world, client_for):
    office, task = client_for("office"), world["一镇"]["tasks"]
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")

    def overdue() -> tuple[bool, set[str]]:
        page, read = look(office)
        return {row["id"]: row["overdue"] for row in page["results"]}[task.pk], read

    before_midnight = datetime.datetime.combine(task.deadline, datetime.time(23, 59, 30), shanghai)
    with time_machine.travel(before_midnight, tick=False):
        assert overdue()[0] is False
    with time_machine.travel(before_midnight + datetime.timedelta(seconds=40), tick=False):  # kept till then
        is_overdue, read = overdue()
    assert is_overdue is True and TASKS in read


def test_a_page_kept_in_one_time_zone_is_not_shown_in_another(world, people, client_for):
    office, task = client_for("office"), world["一镇"]["tasks"]
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已巡逻")

    def submitted_at() -> str:
        return {row["id"]: row["submitted_at"] for row in look(office)[0]["results"]}[task.pk]

    shanghai = submitted_at()
    with timezone.override(datetime.UTC):
        utc = submitted_at()
    assert shanghai.endswith("+08:00") and utc.endswith("Z")
    assert datetime.datetime.fromisoformat(shanghai) == datetime.datetime.fromisoformat(utc)


def test_an_edit_the_log_does_not_see_shows_once_the_page_expires(world, client_for):
    office = client_for("office")
    look(office)
    Town.objects.filter(name="一镇").update(name="新一镇")  # as the admin would: no transition, no log row
    assert "新一镇" not in {row["town_name"] for row in look(office)[0]["results"]}  # kept for up to SECONDS
    with mock.patch("time.time", return_value=time.time() + kept.SECONDS + 1):  # the cache's clock
        assert "新一镇" in {row["town_name"] for row in look(office)[0]["results"]}
