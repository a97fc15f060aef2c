"""Faults of the job plumbing: the same task message delivered twice (a redelivery after a worker
was lost), and two beat schedulers running at once (every periodic job fired twice at the same
moment). Either way each job does its thing once: no duplicate case, case day, notice, reminder,
accountability proposal, evaluation, log row or e-mail.

The scenario gives every periodic job of pingan/celery.py work to do on the morning of Tuesday
1 December 2026: yesterday's index turns 一镇 red for the third day running (a supervision notice
from the escalation ladder) and 二街道 red for the first time (a new case); one task is overdue
beyond the grace (an overdue notice and an accountability proposal), another is due tomorrow (a
reminder); the digest goes to everyone with open work; November has ended (evaluations).
"""

from __future__ import annotations

import datetime
import threading
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import translation

from accountability.models import AccountabilityRecord, Evaluation
from pingan.models import City, DailyIndex, Publication, Unit
from tests.factories import submit_day
from tests.workflows.conftest import RED
from workflows.models import (
    Case,
    CaseDay,
    CaseOwner,
    Notice,
    Notification,
    RectificationTask,
    SweepMark,
    TransitionLog,
)
from workflows.services import cases, rectification

D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
BOTH_RED = {**RED, ("二街道", "crime"): (20, 0), ("二街道", "traffic"): (20, 0)}


def _publish_yesterday():
    from pingan.tasks import publish_yesterday

    return publish_yesterday()


def _open_cases():
    """The follow-up job publish_day_task enqueues; its message may be delivered twice too."""
    from workflows.tasks import open_cases

    return open_cases(City.objects.get().pk, (MORNING.date() - datetime.timedelta(days=1)).isoformat())


def _deadline_sweep():
    from workflows.tasks import deadline_sweep_task

    return deadline_sweep_task()


def _morning_digest():
    from workflows.tasks import morning_digest_task

    return morning_digest_task()


def _evaluate_ended_periods():
    from accountability.tasks import evaluate_ended_periods

    return evaluate_ended_periods()


def _deliver_notifications():
    from workflows.tasks import deliver_notifications

    return deliver_notifications()


# Every periodic job, and the follow-up job the publication enqueues, in the order a morning runs
# them (publication 01:30, evaluations 03:00, digest 08:00, sweep hourly, delivery when asked).
JOBS = {
    "pingan.tasks.publish_yesterday": _publish_yesterday,
    "workflows.tasks.open_cases": _open_cases,
    "accountability.tasks.evaluate_ended_periods": _evaluate_ended_periods,
    "workflows.tasks.morning_digest": _morning_digest,
    "workflows.tasks.deadline_sweep": _deadline_sweep,
    "workflows.tasks.deliver_notifications": _deliver_notifications,
}


def test_every_periodic_job_of_the_beat_schedule_is_exercised():
    from pingan.celery import app

    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled - set(JOBS) == set()  # a new periodic job must join JOBS above
    assert len(scheduled) >= 4


@pytest.fixture
def morning(publish, people, tmp_path):
    """The database the morning of 1 Dec 2026 finds, before any job has run."""
    office = people["office"]
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), tick=False):
        publish(D(2026, 11, 1), RED)
        case = Case.objects.get()
        cases.case_force_analysis(case_id=case.pk, user=office, reason="测试")
        cases.case_file_analysis(case_id=case.pk, user=office, report="分析")
        cases.case_issue_warning(case_id=case.pk, user=office)  # warning notice 1
        overdue = rectification.task_create(
            case_id=case.pk, user=office, owner=Unit.objects.get(name="一镇派出所"), title="夜间巡逻"
        )
    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, tzinfo=SHANGHAI), tick=False):
        due = rectification.task_create(
            case_id=case.pk, user=office, owner=Unit.objects.get(name="一镇人民政府"), title="整治出租屋"
        )
    assert (overdue.deadline, due.deadline) == (D(2026, 11, 9), D(2026, 12, 2))
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI), tick=False):
        publish(D(2026, 11, 28), RED)
        publish(D(2026, 11, 29), RED)  # 一镇 red two days running: level 2
        submit_day(tmp_path, City.objects.get(), D(2026, 11, 30), BOTH_RED)  # submitted, not yet published
    assert not Notice.objects.filter(kind="supervision").exists()
    mail.outbox.clear()


def snapshot() -> dict:
    """What the jobs write, counted; and the numbering of notices."""
    numbers: dict[tuple, list[int]] = {}
    for city_id, kind, year, number in Notice.objects.order_by("number").values_list("city", "kind", "year", "number"):
        numbers.setdefault((city_id, kind, year), []).append(number)
    emails = Counter((tuple(m.to), m.subject, m.body) for m in mail.outbox)
    return {
        "publications": Publication.objects.count(),
        "index rows": DailyIndex.objects.count(),
        "cases": Case.objects.count(),
        "case days": CaseDay.objects.count(),
        "case owners": CaseOwner.objects.count(),
        "tasks": RectificationTask.objects.count(),
        "notices": dict(Counter(Notice.objects.values_list("kind", flat=True))),
        "notice numbers without gaps": all(ns == list(range(1, len(ns) + 1)) for ns in numbers.values()),
        "notifications": dict(Counter(Notification.objects.values_list("kind", flat=True))),
        "undelivered": Notification.objects.filter(delivered_at__isnull=True).count(),
        "e-mails": len(mail.outbox),
        "e-mails sent twice": sum(1 for n in emails.values() if n > 1),
        "accountability records": AccountabilityRecord.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "log rows": dict(Counter(TransitionLog.objects.values_list("transition", flat=True))),
        "escalation level of 一镇": Case.objects.get(town__name="一镇").escalation_level,
        "tasks handled by the sweep": [
            sorted(SweepMark.objects.filter(task=task).values_list("step", "deadline"))
            for task in RectificationTask.objects.order_by("id")
        ],
    }


# Counted after one run of every job, and checked by hand against the scenario. Before the jobs: 3
# published days, 一镇's case (4 owners, at level 2), warning notice 1, 2 tasks. The publication adds
# the day (3 index rows), 一镇's case day and its level 3 (an escalation log row, supervision notice 1
# told to the 4 people of its owners), 二街道's case (4 owners, 3 of them with a member to tell); the
# evaluations 4 (2 town governments, 2 police stations, each with a log row); the digest one message
# to each of the 5 people with open work; the sweep a reminder of the task due tomorrow, supervision
# notice 2 and a proposal for the task overdue beyond the grace. Every message mailed once.
ONCE = {
    "publications": 4,
    "index rows": 4 * 3,
    "cases": 2,
    "case days": 5,
    "case owners": 4 + 4,
    "tasks": 2,
    "notices": {"warning": 1, "supervision": 2},
    "notice numbers without gaps": True,
    "notifications": {
        "case_opened": 4 + 3,
        "case_stage": 4,
        "warning_notice": 4,
        "task_assigned": 2,
        "supervision_notice": 4,
        "digest": 5,
        "task_due": 1,
        "task_overdue": 1,
    },
    "undelivered": 0,
    "e-mails": 3 + 4 + 5 + 1 + 1,  # sent this morning: case opened, supervision notice, digest, due, overdue
    "e-mails sent twice": 0,
    "accountability records": 1,
    "evaluations": 4,
    "log rows": {
        "open": 2,
        "force_analysis": 1,
        "file_analysis": 1,
        "issue_warning": 1,
        "create": 2,
        "escalate": 2,
        "compute": 4,
        "propose": 1,
    },
    "escalation level of 一镇": 3,
    "tasks handled by the sweep": [
        [("notice", D(2026, 11, 9)), ("propose", D(2026, 11, 9))],  # overdue: notice and proposal for its deadline
        [("remind", D(2026, 12, 2))],  # due tomorrow: reminded
    ],
}


def run_every_job() -> None:
    for job in JOBS.values():
        job()


@pytest.mark.django_db(transaction=True)
def test_one_run_of_every_job(morning):
    with time_machine.travel(MORNING, tick=False):
        run_every_job()
    assert snapshot() == ONCE


@pytest.mark.django_db(transaction=True)
def test_every_message_delivered_twice_does_each_thing_once(morning):
    with time_machine.travel(MORNING, tick=False):
        for job in JOBS.values():
            job()
            job()  # redelivered: the worker died before acknowledging, or the broker sent it again
        after_two = snapshot()
        run_every_job()  # and a whole second morning's worth on top

    assert after_two == ONCE
    assert snapshot() == ONCE


def twice_at_once(job) -> list[Exception]:
    """Two beat schedulers fire `job` at the same moment: two threads released together."""
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def run():
        try:
            start.wait()
            with translation.override("en"):
                job()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), f"{job.__name__} did not finish"
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_schedulers_at_once_do_each_thing_once(morning):
    with time_machine.travel(MORNING, tick=False):
        errors = {name: twice_at_once(job) for name, job in JOBS.items()}

    assert errors == {name: [] for name in JOBS}
    assert snapshot() == ONCE
