"""Faults of the workflow's plumbing: the broker is unreachable after a transition."""

import datetime
from unittest import mock

import pytest
from django.core import mail

from tests.workflows.conftest import RED


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_transitions_commit_and_notifications_follow_when_it_returns(publish, people):
    from pingan.celery import app
    from workflows.models import Case, Notification
    from workflows.services import cases

    publish(datetime.date(2026, 11, 2), RED)
    case = Case.objects.get()
    mail.outbox.clear()
    app.conf.task_always_eager = False
    try:
        with mock.patch(
            "workflows.tasks.deliver_notifications.delay", side_effect=ConnectionRefusedError("broker down")
        ):
            cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="先行研判")
    finally:
        app.conf.task_always_eager = True

    assert Case.objects.get().stage == "analyze"  # committed although the broker was unreachable
    pending = Notification.objects.filter(kind="case_stage", delivered_at__isnull=True)
    assert pending.count() == 4 and mail.outbox == []

    # Once the broker is back, beat's delivery job (every five minutes) sends what waited.
    (job,) = [e for e in app.conf.beat_schedule.values() if e["task"] == "workflows.tasks.deliver_notifications"]
    app.tasks[job["task"]].delay()

    assert not Notification.objects.filter(delivered_at__isnull=True).exists()
    assert len([m for m in mail.outbox if m.subject == "Case of 一镇: analyze"]) == 4
