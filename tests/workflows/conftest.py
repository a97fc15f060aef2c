"""A city with its units and people, and helpers to publish days of chosen colours."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation

from pingan import roles
from pingan.models import Baseline, City, Indicator, Unit
from pingan.services.publication import publish_day
from pingan.services.regions import import_regions
from tests.factories import submit_day, write_csv

# Baselines crime 1, fire 0.2, traffic 0.4 per 10,000 per day; 一镇 has 100,000 residents.
# With these counts 一镇 is: red (two poor items: 68), orange (crime poor: 76), blue (nothing).
RED = {("一镇", "crime"): (20, 0), ("一镇", "traffic"): (20, 0)}
ORANGE = {("一镇", "crime"): (20, 0)}
BLUE: dict = {}
DEATH = {("一镇", "fire"): (1, 1)}  # a fire death: red, driven by fire


@pytest.fixture(autouse=True)
def english():
    """Refusals are asserted on their English source text; pages and the admin speak Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def city(db, tmp_path) -> City:
    path = write_csv(
        tmp_path / "regions.csv",
        ["city", "district", "town", "population", "effective_from"],
        [["测试市", "甲区", "一镇", 100_000, "2020-01-01"], ["测试市", "甲区", "二街道", 50_000, "2020-01-01"]],
    )
    import_regions(path)
    city = City.objects.get(name="测试市")
    for code, rate in {"crime": "1", "fire": "0.2", "traffic": "0.4"}.items():
        for year in (2026, 2027):
            Baseline.objects.create(
                city=city,
                indicator=Indicator.objects.get(code=code),
                year=year,
                source="manual",
                manual_rate=Decimal(rate),
            )
    return city


ROLE_OF_UNIT = {
    "safety_office": roles.SAFETY_OFFICE,
    "town_government": roles.TOWN,
    "police_station": roles.POLICE,
    "department": roles.DEPARTMENT,
    "district_government": roles.TOWN,
}


def member(username: str, unit_name: str) -> User:
    """A staff user in the unit and in its role's group."""
    unit = Unit.objects.get(name=unit_name)
    user = User.objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    unit.members.add(user)
    user.groups.add(Group.objects.get(name=ROLE_OF_UNIT[unit.kind]))
    return user


@pytest.fixture
def people(city):
    """The office, the town, its police station, the departments, the district, leadership, an outsider."""
    roles.install_roles()
    leader = User.objects.create_user("leader", "leader@example.org", "pw", is_staff=True)
    leader.groups.add(Group.objects.get(name=roles.LEADERSHIP))
    return {
        "office": member("office", "测试市平安办"),
        "town": member("town", "一镇人民政府"),
        "police": member("police", "一镇派出所"),
        "crime_dept": member("crime_dept", "测试市公安局"),
        "fire_dept": member("fire_dept", "测试市消防救援支队"),
        "traffic_dept": member("traffic_dept", "测试市公安局交通警察支队"),
        "district": member("district", "甲区人民政府"),
        "other_town": member("other_town", "二街道办事处"),
        "leader": leader,
        "outsider": User.objects.create_user("outsider", "", "pw"),
    }


@pytest.fixture
def publish(city, tmp_path):
    """publish(day, counts): submit a complete day and publish it (which opens or updates cases)."""

    def run(day: datetime.date, counts: dict) -> None:
        submit_day(tmp_path, city, day, counts)
        publish_day(day, cities=[city]).raise_for_problems()

    return run
