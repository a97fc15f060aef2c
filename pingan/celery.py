"""The Celery app. Every periodic job of the product is declared in app.conf.beat_schedule below."""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")

app = Celery("pingan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs) -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for folder in ("data_folder_in", "processed_folder", "control_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[folder]).mkdir(parents=True, exist_ok=True)


# Times are Asia/Shanghai (CELERY_TIMEZONE). The publication time may be moved by the environment.
PUBLISH_HOUR = int(os.environ.get("PINGAN_PUBLISH_HOUR", "1"))
PUBLISH_MINUTE = int(os.environ.get("PINGAN_PUBLISH_MINUTE", "30"))

app.conf.beat_schedule = {
    "publish-yesterdays-index": {
        "task": "pingan.tasks.publish_yesterday",
        "schedule": crontab(hour=PUBLISH_HOUR, minute=PUBLISH_MINUTE),
    },
    "deadline-sweep": {
        "task": "workflows.tasks.deadline_sweep",
        "schedule": crontab(minute=5),  # hourly
    },
    "evaluate-ended-periods": {
        "task": "accountability.tasks.evaluate_ended_periods",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),  # month, and quarter/year when they end
    },
    "deliver-notifications": {
        # Transitions ask for delivery when they commit; this catches what waited for a broker outage.
        "task": "workflows.tasks.deliver_notifications",
        "schedule": crontab(minute="*/5"),
    },
    "morning-digest": {
        "task": "workflows.tasks.morning_digest",
        "schedule": crontab(hour=8, minute=0),  # skipped on days off
    },
}
