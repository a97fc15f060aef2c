"""Notifications go to the inbox with the transaction and out by email only after it commits."""

import datetime

import pytest
from django.core import mail
from django.db import transaction

from pingan.models import Unit
from tests.workflows.conftest import RED
from workflows.models import Case, Notification
from workflows.services import cases
from workflows.services.notifications import deliver_pending, notify

DAY = datetime.date(2026, 11, 2)


def test_email_is_sent_after_the_commit(publish, people, django_capture_on_commit_callbacks):
    publish(DAY, RED)
    deliver_pending()
    mail.outbox.clear()
    case = Case.objects.get()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="先行研判")
        # in the inbox already, not yet mailed
        assert Notification.objects.filter(kind="case_stage", delivered_at__isnull=True).count() == 4
        assert mail.outbox == []

    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "crime_dept@example.org",
        "police@example.org",
        "town@example.org",
        "traffic_dept@example.org",
    ]
    assert not Notification.objects.filter(delivered_at__isnull=True).exists()


def test_nothing_is_sent_when_the_transaction_rolls_back(publish, people, django_capture_on_commit_callbacks):
    publish(DAY, RED)
    deliver_pending()
    mail.outbox.clear()
    case = Case.objects.get()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="先行研判")
            raise RuntimeError("something failed after the transition")

    assert callbacks == []
    assert mail.outbox == []
    assert Case.objects.get().stage == "mobilize"
    assert not Notification.objects.filter(kind="case_stage").exists()


def test_a_notification_is_written_once_per_key(db, people):
    units = Unit.objects.filter(name="一镇派出所")
    from workflows.services.notifications import members_of

    notify(members_of(units), kind="x", key="same", title="一")
    notify(members_of(units), kind="x", key="same", title="一")
    assert Notification.objects.filter(key="same").count() == 1


def test_the_channel_is_pluggable(publish, people, settings):
    settings.PINGAN_NOTIFICATION_CHANNELS = ["tests.workflows.test_notifications.RecordingChannel"]
    RecordingChannel.seen.clear()
    publish(DAY, RED)
    mail.outbox.clear()
    deliver_pending()
    assert mail.outbox == []
    assert sorted(RecordingChannel.seen) == ["crime_dept", "police", "town", "traffic_dept"]


class RecordingChannel:
    seen: list[str] = []

    def deliver(self, notification) -> None:
        self.seen.append(notification.recipient.username)
