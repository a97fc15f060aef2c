"""Two towns of one district, each with a case and the work around it, and a client per role."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accountability.evaluation_rules import Period
from accountability.models import AccountabilityRecord, Evaluation
from accountability.services.evaluations import compute_evaluations
from pingan.models import DataFeed, Indicator, Unit
from pingan.services.regions import import_regions
from tests.factories import write_csv
from tests.workflows.conftest import RED, city, english, member, people, publish  # shared fixtures
from workflows.models import Case, ExtensionRequest, Notice, TransitionLog
from workflows.services import cases, rectification

D = datetime.date
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
BOTH_RED = {**RED, ("二街道", "crime"): (20, 0), ("二街道", "traffic"): (20, 0)}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(publish, people):
    """Objects of town A (一镇) and town B (二街道): case, task, notice, record, evaluation, extension, log."""
    publish(D(2026, 11, 2), BOTH_RED)
    office = people["office"]
    objects = {}
    for town, station in (("一镇", "一镇派出所"), ("二街道", "二街道派出所")):
        case = Case.objects.get(town__name=town)
        cases.case_force_analysis(case_id=case.pk, user=office, reason="测试")
        cases.case_file_analysis(case_id=case.pk, user=office, report="分析")
        cases.case_issue_warning(case_id=case.pk, user=office)
        task = rectification.task_create(
            case_id=case.pk, user=office, owner=Unit.objects.get(name=station), title="巡逻"
        )
        government = case.owners.get(role="town_government").unit
        record = AccountabilityRecord.objects.create(
            case=case, target_unit=government, measure="interview", origin="office", grounds="测试"
        )
        extension = ExtensionRequest.objects.create(
            task=task, working_days=2, reason="测试", old_deadline=task.deadline
        )
        objects[town] = {
            "cases": case,
            "tasks": task,
            "notices": Notice.objects.get(case=case),
            "accountability-records": record,
            "extensions": extension,
            "transition-logs": TransitionLog.objects.get(case=case, transition="open"),
        }
    compute_evaluations(Period.parse("2026-11"))
    objects["一镇"]["evaluations"] = Evaluation.objects.get(unit__name="一镇人民政府")
    objects["二街道"]["evaluations"] = Evaluation.objects.get(unit__name="二街道办事处")
    return objects


@pytest.fixture
def feed_user(city, db):
    user = User.objects.create_user("fire_feed")
    DataFeed.objects.create(user=user, city=city, indicator=Indicator.objects.get(code="fire"))
    return user


@pytest.fixture
def client_for(people, feed_user):
    """client_for(role): an API client authenticated with that role's token (None: anonymous)."""

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            user = feed_user if role == "feed" else people[role]
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return make


@pytest.fixture
def other_office(world, tmp_path):
    """A member of the safety office of another city (其他市) on the same deployment."""
    header = ["city", "district", "town", "population", "effective_from"]
    import_regions(write_csv(tmp_path / "other.csv", header, [["其他市", "丙区", "四镇", 30000, "2020-01-01"]]))
    return member("other_office", "其他市平安办")
