"""Two clients transitioning the same task at once through the API, on PostgreSQL."""

import threading

import pytest
from django.db import connection

from pingan.models import Unit
from workflows.models import TransitionLog
from workflows.services import rectification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_200_one_409_one_log_row(world, client_for, people):
    task = world["一镇"]["tasks"]
    rectification.task_accept(task_id=task.pk, user=people["police"])
    rectification.task_submit(task_id=task.pk, user=people["police"], report="已巡逻")
    second = people["office"].__class__.objects.create_user("office2")
    Unit.objects.get(name="测试市平安办").members.add(second)
    clients = [client_for("office"), client_for("office")]
    from rest_framework.authtoken.models import Token

    clients[1].credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=second).key}")
    start = threading.Barrier(2)
    statuses = [None, None]

    def call(i, name, body):
        try:
            start.wait()
            statuses[i] = clients[i].post(f"/api/v1/tasks/{task.pk}/{name}/", body, format="json").status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=call, args=(0, "verify", {})),
        threading.Thread(target=call, args=(1, "send-back", {"reason": "不合格"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(statuses) == [200, 409]
    assert TransitionLog.objects.filter(task=task, transition__in=["verify", "send_back"]).count() == 1
