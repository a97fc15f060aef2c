"""Notification channels beyond the in-app inbox. Which ones run is the setting
PINGAN_NOTIFICATION_CHANNELS (dotted paths); each has `deliver(notification)`."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail


class EmailChannel:
    """Email through Django's mail settings, to recipients that have an address."""

    def deliver(self, notification) -> None:
        address = notification.recipient.email
        if address:
            send_mail(
                notification.title, notification.body or notification.title, settings.DEFAULT_FROM_EMAIL, [address]
            )
