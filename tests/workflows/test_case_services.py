"""Every case transition: the allowed path, each forbidden path (state unchanged, nothing logged), the log row."""

import datetime
import zoneinfo

import pytest
import time_machine

from accountability.models import AccountabilityRecord
from accountability.services import record_approve, record_dismiss, record_propose
from pingan.models import Unit
from tests.workflows.conftest import BLUE, RED
from workflows.errors import NotPermitted, TransitionRefused
from workflows.models import Case, Notice, RectificationTask, TransitionLog
from workflows.services import cases, rectification

D = datetime.date
DAY = D(2026, 11, 2)
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(publish, people) -> Case:
    publish(DAY, RED)
    return Case.objects.get()


def stage(case) -> str:
    return Case.objects.get(pk=case.pk).stage


def logged(case, transition) -> int:
    return TransitionLog.objects.filter(case=case, transition=transition).count()


def acknowledge_all(case, people):
    for who in ("town", "police", "crime_dept", "traffic_dept"):
        cases.case_acknowledge(case_id=case.pk, user=people[who])


def to_warn(case, people):
    acknowledge_all(case, people)
    cases.case_file_analysis(case_id=case.pk, user=people["town"], report="夜间盗窃集中在工业区")
    cases.case_issue_warning(case_id=case.pk, user=people["office"])


def to_supervise(case, people) -> RectificationTask:
    to_warn(case, people)
    task = rectification.task_create(
        case_id=case.pk, user=people["office"], owner=Unit.objects.get(name="一镇派出所"), title="加强工业区夜间巡逻"
    )
    cases.case_start_supervision(case_id=case.pk, user=people["office"])
    return task


# mobilize → analyze


def test_owners_acknowledge_and_the_last_one_moves_the_case_to_analysis(case, people):
    cases.case_acknowledge(case_id=case.pk, user=people["town"])
    assert stage(case) == "mobilize"
    assert case.owners.get(unit__name="一镇人民政府").acknowledged_by == people["town"]

    acknowledge_all(case, people)

    assert stage(case) == "analyze"
    assert logged(case, "acknowledge") == 4
    log = TransitionLog.objects.get(case=case, transition="start_analysis")
    assert (log.source, log.target, log.actor) == ("mobilize", "analyze", people["traffic_dept"])


def test_acknowledging_twice_changes_nothing(case, people):
    cases.case_acknowledge(case_id=case.pk, user=people["town"])
    assert cases.case_acknowledge(case_id=case.pk, user=people["town"]) == []
    assert logged(case, "acknowledge") == 1


def test_only_owners_acknowledge(case, people):
    with pytest.raises(NotPermitted):
        cases.case_acknowledge(case_id=case.pk, user=people["other_town"])
    assert logged(case, "acknowledge") == 0


def test_analysis_cannot_start_before_every_owner_acknowledged(case, people):
    cases.case_acknowledge(case_id=case.pk, user=people["town"])
    with pytest.raises(TransitionRefused, match="not every owner has acknowledged"):
        cases.case_start_analysis(case_id=case.pk, user=people["office"])
    assert stage(case) == "mobilize" and logged(case, "start_analysis") == 0


def test_the_office_may_force_analysis_with_a_reason(case, people):
    with pytest.raises(TransitionRefused, match="reason is required"):
        cases.case_force_analysis(case_id=case.pk, user=people["office"], reason=" ")
    with pytest.raises(NotPermitted):
        cases.case_force_analysis(case_id=case.pk, user=people["town"], reason="急")
    cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="派出所未及时签收，先行研判")
    assert stage(case) == "analyze"
    assert TransitionLog.objects.get(case=case, transition="force_analysis").comment == "派出所未及时签收，先行研判"


# analyze → warn


def test_the_warning_needs_an_analysis_report(case, people):
    acknowledge_all(case, people)
    with pytest.raises(TransitionRefused, match="no analysis report has been filed"):
        cases.case_issue_warning(case_id=case.pk, user=people["office"])
    assert stage(case) == "analyze" and not Notice.objects.exists()


def test_issuing_the_warning_numbers_a_notice_and_tells_the_owners(case, people):
    acknowledge_all(case, people)
    with pytest.raises(NotPermitted):
        cases.case_file_analysis(case_id=case.pk, user=people["outsider"], report="x")
    cases.case_file_analysis(case_id=case.pk, user=people["town"], report="夜间盗窃集中在工业区")
    with pytest.raises(NotPermitted):
        cases.case_issue_warning(case_id=case.pk, user=people["town"])

    cases.case_issue_warning(case_id=case.pk, user=people["office"])

    assert stage(case) == "warn"
    notice = Notice.objects.get(case=case, kind="warning")
    assert notice.document_number == "测平安预〔2026〕1号"
    assert people["town"].notifications.filter(kind="warning_notice", title__contains="测平安预〔2026〕1号").exists()
    # the same request again (a double click, a retry) changes nothing
    assert cases.case_issue_warning(case_id=case.pk, user=people["office"]).log is None
    assert Notice.objects.filter(kind="warning").count() == 1 and logged(case, "issue_warning") == 1


def test_notice_numbers_are_sequential_per_year(publish, people):
    publish(DAY, {**RED, ("二街道", "crime"): (20, 0), ("二街道", "traffic"): (20, 0)})
    numbers = []
    for case in Case.objects.order_by("id"):
        cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="测试")
        cases.case_file_analysis(case_id=case.pk, user=people["office"], report="分析")
        cases.case_issue_warning(case_id=case.pk, user=people["office"])
        numbers.append(case.notices.get().document_number)
    assert numbers == ["测平安预〔2026〕1号", "测平安预〔2026〕2号"]


def test_the_printable_notice_is_for_the_office_and_owners(client, case, people):
    to_warn(case, people)
    notice = Notice.objects.get()
    client.force_login(people["police"])
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "预警通知书" in page and "测平安预〔2026〕1号" in page
    client.force_login(people["other_town"])
    assert client.get(f"/notices/{notice.pk}/").status_code == 403


# warn → supervise


def test_supervision_needs_a_task_and_tasks_are_the_offices_to_assign(case, people):
    to_warn(case, people)
    with pytest.raises(TransitionRefused, match="no rectification task"):
        cases.case_start_supervision(case_id=case.pk, user=people["office"])
    with pytest.raises(NotPermitted):
        rectification.task_create(
            case_id=case.pk, user=people["town"], owner=Unit.objects.get(name="一镇派出所"), title="x"
        )

    task = rectification.task_create(
        case_id=case.pk, user=people["office"], owner=Unit.objects.get(name="一镇派出所"), title="加强巡逻"
    )
    # a red case's default: 5 working days from Tuesday 10 November
    assert task.deadline == D(2026, 11, 17)
    assert people["police"].notifications.filter(kind="task_assigned").exists()
    cases.case_start_supervision(case_id=case.pk, user=people["office"])
    assert stage(case) == "supervise"


def test_tasks_cannot_be_assigned_before_the_warning(case, people):
    with pytest.raises(TransitionRefused, match="warn and supervise stages"):
        rectification.task_create(
            case_id=case.pk, user=people["office"], owner=Unit.objects.get(name="一镇派出所"), title="x"
        )


# supervise → closed, checked against outcomes


def test_closing_needs_every_task_verified(case, people, publish):
    task = to_supervise(case, people)
    for n in range(1, 4):
        publish(DAY + datetime.timedelta(days=n), BLUE)
    with pytest.raises(TransitionRefused, match="not every rectification task is verified"):
        cases.case_close(case_id=case.pk, user=people["office"])
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已增派警力")
    rectification.task_verify(task_id=task.pk, user=people["office"])

    cases.case_close(case_id=case.pk, user=people["office"], comment="整改到位")

    assert stage(case) == "closed"
    assert Case.objects.get(pk=case.pk).ended_at is not None


def test_closing_needs_the_town_out_of_orange_and_red_long_enough(case, people, publish):
    task = to_supervise(case, people)
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已增派警力")
    rectification.task_verify(task_id=task.pk, user=people["office"])
    publish(DAY + datetime.timedelta(days=1), BLUE)
    publish(DAY + datetime.timedelta(days=2), BLUE)

    with pytest.raises(TransitionRefused, match="not yet been out of orange and red"):
        cases.case_close(case_id=case.pk, user=people["office"])
    assert stage(case) == "supervise" and logged(case, "close") == 0

    publish(DAY + datetime.timedelta(days=3), BLUE)
    cases.case_close(case_id=case.pk, user=people["office"])
    assert stage(case) == "closed"


# supervise → hold_accountable → closed


def test_a_case_bound_for_accountability_cannot_simply_close(case, people, publish):
    task = to_supervise(case, people)
    Case.objects.filter(pk=case.pk).update(enter_accountability=True)
    for n in range(1, 4):
        publish(DAY + datetime.timedelta(days=n), BLUE)
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已增派警力")
    rectification.task_verify(task_id=task.pk, user=people["office"])
    with pytest.raises(TransitionRefused, match="hold the case accountable"):
        cases.case_close(case_id=case.pk, user=people["office"])


def test_accountability_closes_when_every_record_is_decided(case, people):
    to_supervise(case, people)
    cases.case_hold_accountable(case_id=case.pk, user=people["office"], comment="整改不力")
    first = record_propose(
        case=case,
        target_unit=Unit.objects.get(name="一镇人民政府"),
        measure="interview",
        origin="office",
        grounds="整改不力",
        user=people["office"],
        leader_name="张三",
        leader_post="镇长",
    )
    second = record_propose(
        case=case,
        target_unit=Unit.objects.get(name="一镇派出所"),
        measure="written_self_criticism",
        origin="office",
        grounds="巡逻不到位",
        user=people["office"],
    )
    record_approve(record_id=first.pk, user=people["leader"])
    with pytest.raises(TransitionRefused, match="not every accountability record has been decided"):
        cases.case_close_after_accountability(case_id=case.pk, user=people["office"])

    with pytest.raises(TransitionRefused, match="reason is required"):
        record_dismiss(record_id=second.pk, user=people["leader"], reason="")
    record_dismiss(record_id=second.pk, user=people["leader"], reason="已主动整改")
    cases.case_close_after_accountability(case_id=case.pk, user=people["office"])

    assert stage(case) == "closed"
    assert AccountabilityRecord.objects.get(pk=second.pk).dismissal_reason == "已主动整改"


# cancel


def test_only_the_office_cancels_with_a_reason_and_open_tasks_end_with_the_case(case, people):
    task = to_supervise(case, people)
    with pytest.raises(NotPermitted):
        cases.case_cancel(case_id=case.pk, user=people["town"], reason="数据更正")
    with pytest.raises(TransitionRefused, match="reason is required"):
        cases.case_cancel(case_id=case.pk, user=people["office"], reason="")

    cases.case_cancel(case_id=case.pk, user=people["office"], reason="数据更正后不再为红色")

    assert stage(case) == "cancelled"
    assert RectificationTask.objects.get(pk=task.pk).state == "cancelled"
    assert TransitionLog.objects.get(task=task, transition="cancel").comment == "数据更正后不再为红色"
    with pytest.raises(TransitionRefused, match="the case is cancelled"):
        cases.case_start_supervision(case_id=case.pk, user=people["office"])


@pytest.mark.parametrize(
    "service",
    [
        cases.case_issue_warning,
        cases.case_start_supervision,
        cases.case_close,
        cases.case_hold_accountable,
        cases.case_close_after_accountability,
    ],
)
def test_transitions_from_the_wrong_stage_are_refused_and_leave_no_trace(case, people, service):
    before = TransitionLog.objects.count()
    with pytest.raises(TransitionRefused, match="the case is mobilize"):
        service(case_id=case.pk, user=people["office"])
    assert stage(case) == "mobilize" and TransitionLog.objects.count() == before


def test_the_log_is_append_only(case):
    from django.core.exceptions import ValidationError

    log = TransitionLog.objects.first()
    log.comment = "changed"
    with pytest.raises(ValidationError):
        log.save()
    with pytest.raises(ValidationError):
        log.delete()
