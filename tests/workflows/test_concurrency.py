"""Two people (or two sweeps) acting on the same rows at the same moment, on PostgreSQL."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import translation

from pingan.models import Unit
from tests.workflows.conftest import RED
from workflows.errors import TransitionRefused
from workflows.models import Case, Notice, RectificationTask, TransitionLog
from workflows.services import cases, rectification
from workflows.services.sweep import deadline_sweep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls):
    """Run the calls in threads released together; returns (results, errors) in call order."""
    start = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(i, call):
        try:
            start.wait()
            with translation.override("en"):  # the override of the test's own thread does not reach here
                results[i] = call()
        except Exception as exc:  # collected for the assertions
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


@pytest.fixture
def submitted_task(publish, people):
    publish(datetime.date(2026, 11, 2), RED)
    case = Case.objects.get()
    cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="测试")
    cases.case_file_analysis(case_id=case.pk, user=people["office"], report="分析")
    cases.case_issue_warning(case_id=case.pk, user=people["office"])
    task = rectification.task_create(
        case_id=case.pk, user=people["office"], owner=Unit.objects.get(name="一镇派出所"), title="巡逻"
    )
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已巡逻")
    return task


def test_two_users_at_the_same_moment_one_wins_one_gets_a_clear_conflict(submitted_task, people):
    second_office = people["office"].__class__.objects.create_user("office2")
    Unit.objects.get(name="测试市平安办").members.add(second_office)

    results, errors = at_once(
        lambda: rectification.task_verify(task_id=submitted_task.pk, user=people["office"]),
        lambda: rectification.task_return(task_id=submitted_task.pk, user=second_office, reason="不合格"),
    )

    won = [r for r in results if r is not None]
    lost = [e for e in errors if e is not None]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], TransitionRefused)
    assert "cannot" in str(lost[0]) and "by " in str(lost[0])  # names the state and who moved it
    final = RectificationTask.objects.get(pk=submitted_task.pk).state
    assert final in ("verified", "returned")
    decisions = TransitionLog.objects.filter(task=submitted_task, transition__in=["verify", "send_back"])
    assert decisions.count() == 1 and decisions.get().target == final


def test_the_same_transition_twice_at_once_is_logged_once(submitted_task, people):
    second_office = people["office"].__class__.objects.create_user("office2")
    Unit.objects.get(name="测试市平安办").members.add(second_office)

    results, errors = at_once(
        lambda: rectification.task_verify(task_id=submitted_task.pk, user=people["office"]),
        lambda: rectification.task_verify(task_id=submitted_task.pk, user=second_office),
    )

    assert sum(r is not None for r in results) == 1
    assert sum(isinstance(e, TransitionRefused) for e in errors) == 1
    assert TransitionLog.objects.filter(task=submitted_task, transition="verify").count() == 1


def test_two_sweeps_at_once_issue_each_notice_once(submitted_task, people):
    case = submitted_task.case
    owner = Unit.objects.get(name="一镇人民政府")
    for n in range(40):
        RectificationTask.objects.create(case=case, owner=owner, title=f"任务{n}", deadline=datetime.date(2026, 11, 9))

    results, errors = at_once(
        lambda: deadline_sweep(datetime.date(2026, 11, 20)), lambda: deadline_sweep(datetime.date(2026, 11, 20))
    )

    assert errors == [None, None]
    assert sum(r.overdue_notices for r in results) == 40
    assert Notice.objects.filter(kind="supervision").count() == 40
    numbers = sorted(Notice.objects.filter(kind="supervision").values_list("number", flat=True))
    assert numbers == list(range(1, 41))  # no gaps, no repeats
    from accountability.models import AccountabilityRecord

    assert AccountabilityRecord.objects.filter(origin="overdue_task").count() == 40
