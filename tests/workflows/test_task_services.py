"""Every task transition and extension decision: allowed, forbidden (state unchanged), logged."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from pingan.errors import DomainError
from pingan.models import Unit
from tests.workflows.conftest import RED
from workflows.errors import NotPermitted, TransitionRefused
from workflows.models import Case, ExtensionRequest, RectificationTask, TransitionLog
from workflows.services import cases, rectification

D = datetime.date
NOW = datetime.datetime(2026, 9, 29, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))  # before National Day


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def task(publish, people, settings, tmp_path) -> RectificationTask:
    settings.MEDIA_ROOT = tmp_path / "media"
    publish(D(2026, 9, 28), RED)
    case = Case.objects.get()
    cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="测试")
    cases.case_file_analysis(case_id=case.pk, user=people["office"], report="分析")
    cases.case_issue_warning(case_id=case.pk, user=people["office"])
    return rectification.task_create(
        case_id=case.pk, user=people["office"], owner=Unit.objects.get(name="一镇派出所"), title="加强夜间巡逻"
    )


def state(task) -> str:
    return RectificationTask.objects.get(pk=task.pk).state


def log(task) -> list[tuple[str, str, str, str]]:
    return list(
        TransitionLog.objects.filter(subject="rectificationtask", subject_id=task.pk)
        .order_by("id")
        .values_list("transition", "source", "target", "actor__username")
    )


def test_the_deadline_skips_the_national_day_holiday(task):
    # Tuesday 29 Sep + 5 working days: 30 Sep, (1–7 Oct off) 8 Oct, 9 Oct, Sat 10 Oct (调休), 12 Oct
    assert task.deadline == D(2026, 10, 12)


def test_the_owner_accepts_submits_and_the_office_verifies(task, people):
    rectification.task_accept(task_id=task.pk, user=people["police"])
    report = SimpleUploadedFile("巡逻记录.pdf", b"%PDF-1.4 patrol log", content_type="application/pdf")
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已增派警力夜巡", files=[report])
    rectification.task_verify(task_id=task.pk, user=people["office"], comment="核查属实")

    task.refresh_from_db()
    assert task.state == "verified" and task.report == "已增派警力夜巡" and task.verified_at
    assert task.attachments.get().file.read() == b"%PDF-1.4 patrol log"
    assert log(task) == [
        ("create", "", "assigned", "office"),
        ("accept", "assigned", "accepted", "police"),
        ("submit", "accepted", "submitted", "police"),
        ("verify", "submitted", "verified", "office"),
    ]
    assert people["office"].notifications.filter(kind="task_submitted").exists()
    assert people["police"].notifications.filter(kind="task_verified").exists()


def test_returned_work_is_reworked_and_submitted_again(task, people):
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="初稿")
    with pytest.raises(TransitionRefused, match="reason is required"):
        rectification.task_return(task_id=task.pk, user=people["office"], reason=" ")
    assert state(task) == "submitted"
    rectification.task_return(task_id=task.pk, user=people["office"], reason="缺少巡逻记录")
    assert state(task) == "returned"
    assert RectificationTask.objects.get(pk=task.pk).return_reason == "缺少巡逻记录"
    rectification.task_submit(task_id=task.pk, user=people["police"], report="补充了巡逻记录")
    assert state(task) == "submitted"
    assert [row[0] for row in log(task)] == ["create", "accept", "submit", "send_back", "submit"]


def test_a_submission_needs_a_report(task, people):
    rectification.task_accept(task_id=task.pk, user=people["police"])
    with pytest.raises(TransitionRefused, match="a report is required"):
        rectification.task_submit(task_id=task.pk, user=people["police"], report="")
    assert state(task) == "accepted"


@pytest.mark.parametrize(
    "who, service",
    [
        ("town", rectification.task_accept),  # the task is the police station's, not the town's
        ("office", rectification.task_accept),
        ("outsider", rectification.task_accept),
    ],
)
def test_only_the_owner_accepts(task, people, who, service):
    with pytest.raises(NotPermitted):
        service(task_id=task.pk, user=people[who])
    assert state(task) == "assigned" and len(log(task)) == 1


def test_only_the_office_verifies(task, people):
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="报告")
    with pytest.raises(NotPermitted):
        rectification.task_verify(task_id=task.pk, user=people["police"])
    assert state(task) == "submitted"


@pytest.mark.parametrize(
    "service, kwargs",
    [
        (rectification.task_submit, {"report": "x"}),
        (rectification.task_verify, {}),
        (rectification.task_return, {"reason": "x"}),
    ],
)
def test_forbidden_from_assigned(task, people, service, kwargs):
    who = "police" if service is rectification.task_submit else "office"
    with pytest.raises(TransitionRefused, match="the rectification task is assigned"):
        service(task_id=task.pk, user=people[who], **kwargs)
    assert state(task) == "assigned" and len(log(task)) == 1


def test_a_repeated_request_is_a_no_op_and_someone_elses_is_a_clear_refusal(task, people):
    rectification.task_accept(task_id=task.pk, user=people["police"])
    again = rectification.task_accept(task_id=task.pk, user=people["police"])
    assert again.log is None and len(log(task)) == 2

    colleague = people["police"].__class__.objects.create_user("police2")
    Unit.objects.get(name="一镇派出所").members.add(colleague)
    with pytest.raises(TransitionRefused, match=r"the rectification task is accepted \(accept by police at "):
        rectification.task_accept(task_id=task.pk, user=colleague)


def test_an_approved_extension_moves_the_deadline_in_working_days(task, people):
    with pytest.raises(NotPermitted):
        rectification.task_request_extension(task_id=task.pk, user=people["town"], working_days=3, reason="x")
    request = rectification.task_request_extension(
        task_id=task.pk, user=people["police"], working_days=3, reason="节后需协调消防"
    )
    with pytest.raises(TransitionRefused, match="already pending"):
        rectification.task_request_extension(task_id=task.pk, user=people["police"], working_days=1, reason="再延")
    with pytest.raises(NotPermitted):
        rectification.extension_approve(request_id=request.pk, user=people["police"])

    rectification.extension_approve(request_id=request.pk, user=people["office"], comment="同意")

    request.refresh_from_db()
    # 12 Oct + 3 working days: 13, 14, 15 Oct
    assert (request.state, request.old_deadline, request.new_deadline) == ("approved", D(2026, 10, 12), D(2026, 10, 15))
    assert RectificationTask.objects.get(pk=task.pk).deadline == D(2026, 10, 15)
    assert TransitionLog.objects.filter(transition="approve_extension", task=task).count() == 1
    with pytest.raises(TransitionRefused, match="already"):
        rectification.extension_refuse(request_id=request.pk, user=people["office"], reason="no")


def test_a_refused_extension_needs_a_reason_and_keeps_the_deadline(task, people):
    request = rectification.task_request_extension(
        task_id=task.pk, user=people["police"], working_days=2, reason="人手不足"
    )
    with pytest.raises(DomainError, match="reason is required"):
        rectification.extension_refuse(request_id=request.pk, user=people["office"], reason="")
    rectification.extension_refuse(request_id=request.pk, user=people["office"], reason="期限已充足")
    assert ExtensionRequest.objects.get(pk=request.pk).state == "refused"
    assert RectificationTask.objects.get(pk=task.pk).deadline == D(2026, 10, 12)
    assert people["police"].notifications.filter(kind="refuse_extension").exists()
