"""The four journeys of DESIGN's users, in a real browser."""

import datetime

import pytest

from accountability.models import Evaluation
from workflows.models import Case, RectificationTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")


def test_a_resident_reads_the_public_page(page, world, shot):
    page.goto(page.base + "/")
    assert page.locator("h1").first.inner_text().startswith("2026-11-02")
    assert page.get_by_text("红（较差）").count() >= 2
    assert page.get_by_text("拨打110").count() >= 1
    assert shot(page, "1-public-index").stat().st_size > 10_000


def test_a_town_official_accepts_a_task_and_submits_it(page, world, shot):
    task = world["一镇"]["tasks"]
    log_in(page, "police")
    page.goto(page.base + "/my/")
    page.click(f"[data-task='{task.pk}'] button[name=accept]")
    assert page.get_by_text("已完成：接收").count() == 1
    page.fill(f"[data-task='{task.pk}'] textarea[name=report]", "已增派警力夜间巡逻，附巡逻记录")
    page.click(f"[data-task='{task.pk}'] button[name=submit]")
    assert page.get_by_text("已完成：提交").count() == 1
    shot(page, "2-my-work-submitted")
    assert RectificationTask.objects.get(pk=task.pk).state == "submitted"


def test_the_safety_office_verifies_and_the_case_moves_on(page, world, people, publish, shot):
    from workflows.services import rectification

    task, case = world["一镇"]["tasks"], world["一镇"]["cases"]
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已增派警力")
    for n in range(3, 6):
        publish(datetime.date(2026, 11, n), {})
    log_in(page, "office")
    page.goto(page.base + "/board/")
    page.click(f"[data-case='{case.pk}'] button:has-text('进入督办')")
    page.click(f"[data-task='{task.pk}'] button[name=verify]")
    assert page.get_by_text("已完成：核实").count() == 1
    page.click(f"[data-stage='supervise'] [data-case='{case.pk}'] button:has-text('结案')")
    shot(page, "3-board-after-closing")
    assert RectificationTask.objects.get(pk=task.pk).state == "verified"
    assert Case.objects.get(pk=case.pk).stage == "closed"


def test_leadership_opens_the_ranking(page, world, shot):
    log_in(page, "leader")
    page.goto(page.base + "/evaluations/?period=2026-11")
    assert page.get_by_role("link", name="一镇人民政府").count() == 1
    assert page.get_by_text("排名").count() >= 1
    shot(page, "4-evaluation-ranking")
    page.get_by_role("link", name="一镇人民政府").click()
    assert page.get_by_text("各项数据来源").count() == 1
    assert Evaluation.objects.count() == 4
