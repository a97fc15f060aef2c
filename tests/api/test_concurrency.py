"""Two clients transitioning the same task at once through the API, on PostgreSQL."""

import threading
from collections import Counter

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


TASK_TRANSITIONS = {  # endpoint: (transition, who, its text field, source states, target)
    "accept": ("accept", "owner", "comment", {"assigned"}, "accepted"),
    "submit": ("submit", "owner", "report", {"accepted", "returned"}, "submitted"),
    "verify": ("verify", "office", "comment", {"submitted"}, "verified"),
    "send-back": ("send_back", "office", "reason", {"submitted"}, "returned"),
}
# Per task, ten requests in a random order: most are refused, some apply, a few go round the loop.
PER_TASK = ["accept", "accept", "submit", "submit", "submit", "verify", "verify", "send-back", "send-back", "send-back"]


def test_200_transitions_at_once_on_20_tasks_apply_once_and_log_once_or_409(world, people, settings):
    """Each request comes from its own user with its own comment, so a 200 cannot be a repeat of
    an earlier request (which would be answered 200 without a second log row): every 200 must
    have exactly one log row, every 409 none, and each task's log must replay to its state."""
    import random
    import time
    from itertools import count

    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.workflows.conftest import member
    from workflows.models import RectificationTask

    settings.PINGAN_NOTIFICATION_CHANNELS = []  # inbox rows still written; no 6,000 e-mails
    office = people["office"]
    tasks = [world["一镇"]["tasks"], world["二街道"]["tasks"]]
    for town, station in (("一镇", "一镇派出所"), ("二街道", "二街道派出所")):
        case = world[town]["cases"]
        tasks += [
            rectification.task_create(
                case_id=case.pk, user=office, owner=Unit.objects.get(name=station), title=f"任务{i}"
            )
            for i in range(9)
        ]
    assert len(tasks) == 20 and {t.state for t in tasks} == {"assigned"}

    rng = random.Random(20261110)
    numbers = count()
    requests = []  # (task, endpoint, token, comment)
    for task in tasks:
        for endpoint in rng.sample(PER_TASK, len(PER_TASK)):
            n = next(numbers)
            who = TASK_TRANSITIONS[endpoint][1]
            user = member(f"u{n}", task.owner.name if who == "owner" else "测试市平安办")
            requests.append((task.pk, endpoint, Token.objects.create(user=user).key, f"request {n}"))
    rng.shuffle(requests)

    n_threads = 16
    start = threading.Barrier(n_threads)
    answers: dict[str, int] = {}

    def client_loop(mine):
        try:
            client = APIClient()
            start.wait()
            for task_id, endpoint, token, comment in mine:
                client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
                text = TASK_TRANSITIONS[endpoint][2]
                response = client.post(f"/api/v1/tasks/{task_id}/{endpoint}/", {text: comment}, format="json")
                answers[comment] = response.status_code
        finally:
            connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(requests[i::n_threads],)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    elapsed = time.monotonic() - began

    assert len(answers) == 200
    assert Counter(answers.values()).keys() <= {200, 409}, Counter(answers.values())
    applied = [c for c, status in answers.items() if status == 200]
    assert 20 <= len(applied) < 200  # each task accepted exactly once, and refusals happened

    names = [t[0] for t in TASK_TRANSITIONS.values()]
    for task in tasks:
        log = list(TransitionLog.objects.filter(task_id=task.pk, transition__in=names).order_by("id"))
        mine = [r for r in requests if r[0] == task.pk]
        assert sorted(row.comment for row in log) == sorted(c for _, _, _, c in mine if answers[c] == 200)
        assert len({row.actor_id for row in log}) == len(log)  # one row per request, no two for one
        state = "assigned"  # replay the log from the task's first state
        for row in log:
            transition = next(v for v in TASK_TRANSITIONS.values() if v[0] == row.transition)
            assert state in transition[3] and (row.source, row.target) == (state, transition[4])
            state = row.target
        assert RectificationTask.objects.get(pk=task.pk).state == state
    assert TransitionLog.objects.filter(task_id__in=[t.pk for t in tasks], transition__in=names).count() == len(applied)
    print(f"200 transitions in {elapsed:.1f} s: {len(applied)} applied, {200 - len(applied)} refused with 409")
