"""The supervision board's lists are rendered once and kept until the workflow moves
(workflows/board_cache.py): a second look reads one indexed row of the log, and any transition, or the
day turning, shows on the next look."""

import re
import time
from unittest import mock

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pingan.models import Town
from workflows import board_cache
from workflows.models import ExtensionRequest
from workflows.services import rectification

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def look(client) -> tuple[str, set[str]]:
    """The board's page and the tables its request read."""
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/board/").content.decode()
    return page, {table for q in queries for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', q["sql"])}


def test_a_second_look_reads_the_logs_state_not_the_lists(client, world, people):
    client.force_login(people["office"])
    page, first = look(client)
    again, second = look(client)
    lists = {"workflows_case", "workflows_rectificationtask", "workflows_extensionrequest", "workflows_notice"}
    assert lists <= first
    assert not lists & second and "workflows_transitionlog" in second
    assert TOKEN.sub("", page) == TOKEN.sub("", again) and "一镇" in again


def test_a_task_verified_from_the_board_leaves_its_list_on_the_next_look(client, world, people):
    task = world["一镇"]["tasks"]
    police = people["police"]
    rectification.task_accept(task_id=task.pk, user=police)
    rectification.task_submit(task_id=task.pk, user=police, report="已增派巡逻")
    client.force_login(people["office"])
    assert f'data-task="{task.pk}"' in look(client)[0]
    client.post(reverse("act", args=["task", task.pk, "verify"]), {"next": "/board/"})
    page, tables = look(client)
    assert f'data-task="{task.pk}"' not in page and "workflows_rectificationtask" in tables


def test_a_form_of_the_kept_lists_carries_the_asking_browsers_own_token(world, people):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(people["office"])
    second.force_login(people["office"])
    look(first)  # renders the lists and keeps them
    page, tables = look(second)
    assert "workflows_extensionrequest" not in tables  # the kept lists
    assert board_cache.csrf_placeholder() not in page
    extension = world["一镇"]["extensions"]
    action = reverse("act", args=["extension", extension.pk, "approve"])
    form = page[page.index(f'action="{action}"') :]
    token = TOKEN.search(form).group(1)
    assert second.post(action, {"csrfmiddlewaretoken": token, "next": "/board/"}).status_code == 302
    assert ExtensionRequest.objects.get(pk=extension.pk).state == ExtensionRequest.State.APPROVED
    header = second.get("/board/").content.decode()  # the page around the lists, kept for this user
    language = header[header.index('action="/i18n/setlang/"') :]
    token = TOKEN.search(language).group(1)
    assert second.post("/i18n/setlang/", {"csrfmiddlewaretoken": token, "language": "en"}).status_code == 302


def test_a_second_look_renders_no_template(client, world, people):
    client.force_login(people["office"])
    first = client.get("/board/")
    assert {"workflows/board.html", "workflows/_board.html"} <= {t.name for t in first.templates}
    assert client.get("/board/").templates == []  # the lists and the page around them, as kept


def test_a_path_cannot_carry_the_csrf_placeholder_into_the_page(client, world, people):
    client.force_login(people["office"])
    page = client.get("/board/?pingan-board-csrf-placeholder").content.decode()
    assert board_cache.csrf_placeholder() not in page and "pingan-board-csrf-placeholder" in page


def test_the_lists_kept_in_chinese_are_not_shown_in_english(client, world, people):
    client.force_login(people["office"])
    assert "逾期任务" in look(client)[0]
    client.cookies["django_language"] = "en"
    english = look(client)[0]
    assert "Overdue tasks" in english and "逾期任务" not in english


def test_an_edit_the_log_does_not_see_shows_once_the_kept_lists_expire(client, world, people):
    client.force_login(people["office"])
    look(client)
    Town.objects.filter(name="一镇").update(name="新一镇")  # as the admin would: no transition, no log row
    assert "新一镇" not in look(client)[0]  # kept for up to SECONDS
    with mock.patch("time.time", return_value=time.time() + board_cache.SECONDS + 1):  # the cache's clock
        assert "新一镇" in look(client)[0]


def named(user, first_name: str):
    user.first_name = first_name
    user.save()
    return user


def test_each_user_sees_their_own_name_around_the_lists_they_share(world, people):
    office, leader = Client(), Client()
    office.force_login(named(people["office"], "李科员"))
    leader.force_login(named(people["leader"], "王局长"))
    for_office, _ = look(office)
    for_leader, tables = look(leader)
    assert "workflows_extensionrequest" not in tables  # the lists the office's look kept
    assert "李科员" in for_office and "王局长" not in for_office
    assert "王局长" in for_leader and "李科员" not in for_leader
    lists = re.compile(r"<h1>.*</section>", re.S)  # the lists, without the header around them
    assert TOKEN.sub("", lists.search(for_office).group()) == TOKEN.sub("", lists.search(for_leader).group())


def test_a_user_renamed_sees_the_new_name_on_the_next_look(client, world, people):
    client.force_login(named(people["office"], "李科员"))
    assert "李科员" in look(client)[0]
    named(people["office"], "李主任")
    page = look(client)[0]
    assert "李主任" in page and "李科员" not in page


def test_the_message_of_an_action_on_the_board_shows_once(client, world, people):
    client.force_login(people["office"])
    look(client)  # the page around the lists kept without a message
    extension = world["一镇"]["extensions"]
    client.post(reverse("act", args=["extension", extension.pk, "approve"]), {"next": "/board/"})
    done = look(client)[0]
    assert 'class="messages"' in done and "已完成" in done
    assert 'class="messages"' not in look(client)[0]  # shown, and gone
