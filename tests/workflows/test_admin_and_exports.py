"""The admin walk of a case, the case export and the committed state diagrams."""

import datetime
import io
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from pingan.models import Unit
from tests.workflows.conftest import BLUE, RED
from workflows.diagrams import state_machines_markdown
from workflows.models import Case, RectificationTask

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def test_the_committed_diagram_is_generated_from_the_code():
    assert (ROOT / "docs" / "STATE_MACHINES.md").read_text(encoding="utf-8") == state_machines_markdown()


def test_export_cases_has_the_documented_columns(publish, people):
    publish(datetime.date(2026, 11, 2), RED)
    out = io.StringIO()
    call_command("export_cases", "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("town,level,stage,opened_on,escalation_level")
    assert lines[1].startswith("一镇,red,mobilize,2026-11-02,1,甲区,1,0,")


def post(client, case_or_task, name, comment=""):
    kind = "case" if isinstance(case_or_task, Case) else "rectificationtask"
    url = reverse(f"admin:workflows_{kind}_transition", args=[case_or_task.pk, name])
    return client.post(url, {"comment": comment}, follow=True)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_walking_a_case_from_mobilize_to_closed_in_the_admin(client, publish, people):
    publish(datetime.date(2026, 11, 2), RED)
    case = Case.objects.get()
    client.force_login(people["office"])

    page = client.get(reverse("admin:workflows_case_change", args=[case.pk])).content.decode()
    assert "强制进入研判" in page or "force analysis" in page

    post(client, case, "force_analysis", "派出所未签收，先行研判")
    assert Case.objects.get().stage == "analyze"
    post(client, case, "file_analysis", "夜间盗窃集中在工业区")
    post(client, case, "issue_warning")
    assert Case.objects.get().stage == "warn"
    client.post(
        reverse("admin:workflows_case_add_task", args=[case.pk]),
        {"owner": Unit.objects.get(name="一镇派出所").pk, "title": "加强巡逻", "description": ""},
    )
    task = RectificationTask.objects.get()
    post(client, case, "start_supervision")
    assert Case.objects.get().stage == "supervise"

    # the police station accepts and submits; the buttons it sees are its own
    client.force_login(people["police"])
    post(client, task, "accept")
    post(client, task, "submit", "已增派警力")
    assert RectificationTask.objects.get().state == "submitted"

    client.force_login(people["office"])
    response = post(client, case, "close")
    assert "并非所有整改任务都已核实" in response.content.decode()
    assert Case.objects.get().stage == "supervise"
    post(client, task, "verify", "核查属实")
    for n in range(3, 6):
        publish(datetime.date(2026, 11, n), BLUE)
    post(client, case, "close", "整改到位")

    assert Case.objects.get().stage == "closed"
    page = client.get(reverse("admin:workflows_case_change", args=[case.pk])).content.decode()
    assert "整改到位" in page  # the log inline


def test_people_see_only_their_own_work_in_the_admin(client, publish, people):
    publish(datetime.date(2026, 11, 2), {**RED, ("二街道", "crime"): (20, 0), ("二街道", "traffic"): (20, 0)})
    mine, theirs = Case.objects.get(town__name="一镇"), Case.objects.get(town__name="二街道")

    client.force_login(people["town"])
    listing = client.get(reverse("admin:workflows_case_changelist")).content.decode()
    assert reverse("admin:workflows_case_change", args=[mine.pk]) in listing
    assert reverse("admin:workflows_case_change", args=[theirs.pk]) not in listing
    assert (
        client.get(reverse("admin:workflows_case_change", args=[theirs.pk])).status_code == 302
    )  # not found: back to the list
    inbox = client.get(reverse("admin:workflows_notification_changelist")).content.decode()
    assert "二街道" not in inbox and "一镇" in inbox

    client.force_login(people["office"])
    listing = client.get(reverse("admin:workflows_case_changelist")).content.decode()
    assert reverse("admin:workflows_case_change", args=[theirs.pk]) in listing
