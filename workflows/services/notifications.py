"""Notifications: written to the inbox with the transaction, delivered by other channels after it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from pingan.models import Unit

from ..models import Notification

logger = logging.getLogger(__name__)


def members_of(units: Iterable[Unit]):
    return get_user_model().objects.filter(units__in=list(units), is_active=True).distinct()


def notify(users, *, kind: str, key: str, title: str, body: str = "", case=None, task=None) -> int:
    """Put a notification in each user's inbox once per key; delivery follows the commit."""
    rows = [Notification(recipient=u, kind=kind, key=key, title=title, body=body, case=case, task=task) for u in users]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(enqueue_delivery)
    return len(rows)


def enqueue_delivery() -> None:
    """Ask a worker to deliver; if the broker is down, the hourly sweep delivers later."""
    from ..tasks import deliver_notifications

    try:
        deliver_notifications.delay()
    except Exception:  # kombu raises several types when the broker is unreachable
        logger.warning("broker unreachable: notifications stay pending until the next sweep", exc_info=True)


def deliver_pending(limit: int = 1000) -> int:
    """Deliver undelivered notifications through every configured channel; safe to run twice."""
    channels = [import_string(path)() for path in settings.PINGAN_NOTIFICATION_CHANNELS]
    delivered = 0
    while True:
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(delivered_at__isnull=True)
                .select_related("recipient")
                .order_by("id")[:limit]
            )
            if not batch:
                return delivered
            for notification in batch:
                for channel in channels:
                    channel.deliver(notification)
            Notification.objects.filter(id__in=[n.id for n in batch]).update(delivered_at=timezone.now())
            delivered += len(batch)
