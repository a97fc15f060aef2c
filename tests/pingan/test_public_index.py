"""The public index page and API at a city's scale: a big city by district, its towns one district at a
time; both answered from the cache until the next publication."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.models import City, DailyIndex, District, IndexPolicy, Publication, Town
from pingan.services.publication import publish_day
from pingan.views import FEW_TOWNS
from tests.factories import submit_day

DAY = datetime.date(2026, 11, 20)
TOWNS_PER_DISTRICT = 70  # three districts: 210 towns, more than FEW_TOWNS
# The colours of each district's towns, in town order: district → (blue, yellow, orange, red).
COLOURS = {"东区": (60, 5, 3, 2), "西区": (70, 0, 0, 0), "南区": (50, 10, 6, 4)}
GRADE = {"blue": "excellent", "yellow": "good", "orange": "poor", "red": "very_poor"}


def _items(level: str) -> dict:
    quiet = {"count": 0, "deaths": 0, "grade": "excellent", "points": 100}
    return {"crime": {"count": 3, "deaths": 0, "grade": GRADE[level], "points": 50}, "fire": quiet, "traffic": quiet}


def publish_directly(city: City, day: datetime.date, levels: dict[int, str], revision: int = 1) -> Publication:
    """A publication of the given town levels (town id → level), written like bench/load.py does: the
    page reads what is stored, whatever computed it. A later revision supersedes the towns it names."""
    policy = IndexPolicy.objects.get(name="zhuhai-2014", version=1)
    publication = Publication.objects.create(
        city=city, date=day, revision=revision, policy=policy, baselines={}, published_at=timezone.now(),
        rows_written=len(levels),
    )  # fmt: skip
    towns = dict(Town.objects.filter(pk__in=levels).values_list("id", "district_id"))
    DailyIndex.objects.filter(date=day, town_id__in=levels, is_current=True).update(is_current=False)
    rows = [
        DailyIndex(
            scope="town",
            district_id=towns[town_id],
            town_id=town_id,
            date=day,
            revision=revision,
            publication=publication,
            policy=policy,
            population=10_000,
            score=Decimal("90.00"),
            level=level,
            items=_items(level),
        )  # fmt: skip
        for town_id, level in levels.items()
    ]
    if revision == 1:
        rows += [
            DailyIndex(
                scope="district",
                district=district,
                date=day,
                publication=publication,
                policy=policy,
                population=700_000,
                score=Decimal("88.50"),
                level="yellow",
                items=_items("yellow"),
            )  # fmt: skip
            for district in District.objects.filter(city=city)
        ]
    DailyIndex.objects.bulk_create(rows)
    return publication


def shown_level(page, town_name: str) -> str:
    """The colour a page shows for a town."""
    html = page if isinstance(page, str) else page.content.decode()
    return re.search(rf'>{town_name}</a></td>\s*<td><span class="lv (\w+)"', html).group(1)


@pytest.fixture
def big_city(db):
    """A city of 210 towns in three districts, its day published with COLOURS."""
    city = City.objects.create(name="大市")
    levels = {}
    for district_name, counts in COLOURS.items():
        district = District.objects.create(city=city, name=district_name)
        colours = [lv for lv, n in zip(("blue", "yellow", "orange", "red"), counts, strict=True) for _ in range(n)]
        Town.objects.bulk_create(
            [Town(district=district, name=f"{district_name}{n:03d}镇") for n in range(TOWNS_PER_DISTRICT)]
        )
        for town_id, level in zip(district.towns.order_by("id").values_list("id", flat=True), colours, strict=True):
            levels[town_id] = level
    publish_directly(city, DAY, levels)
    return city


def test_a_big_city_shows_each_districts_colours_and_no_town_until_one_is_chosen(client, big_city):
    assert sum(sum(c) for c in COLOURS.values()) > FEW_TOWNS
    page = client.get("/").content.decode()
    assert "2026-11-20" in page and "210 个镇街" in page
    assert "蓝（优秀） 180" in page and "红（较差） 6" in page  # the city's totals
    for name, counts in COLOURS.items():
        district = District.objects.get(name=name)
        assert f'district={district.pk}">{name}</a>' in page
        row = page.split(f">{name}</a>")[1].split("</tr>")[0]
        cells = [re.sub(r"<[^>]+>", "", c.split("</td>")[0]).strip() for c in row.split("<td>")[3:7]]
        assert cells == [str(n) for n in counts], name
    assert "镇</a>" not in page and "拨打110" not in page  # no town rows, no tips yet


def test_the_district_summaries_are_one_grouped_query(client, big_city, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):  # publications, latest day, summaries, indicators, district rows
        client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/?date=2026-11-20")
    town_rows = [q["sql"] for q in queries if '"pingan_dailyindex"."items"' in q["sql"]]
    assert len(town_rows) == 1 and "GROUP BY" not in town_rows[0] and "IN (" in town_rows[0]  # the page's districts
    assert sum("GROUP BY" in q["sql"] for q in queries) == 1
    district = District.objects.get(name="东区")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/?date=2026-11-20&district={district.pk}")
    assert not any("GROUP BY" in q["sql"] for q in queries)  # the day's summaries are counted once


def test_choosing_a_district_lists_its_towns_their_history_and_tips(client, big_city):
    south = District.objects.get(name="南区")
    page = client.get(f"/?district={south.pk}").content.decode()
    assert page.count("/towns/") == TOWNS_PER_DISTRICT
    first = south.towns.order_by("id").first()
    assert f'href="/towns/{first.pk}/">南区000镇</a>' in page
    assert "东区000镇" not in page
    assert page.count("拨打110") == 4  # each red town driven by crime gets the crime tip
    assert "全部区" in page and "蓝（优秀） 50" in page
    assert client.get("/?district=999999").status_code == 404
    assert client.get("/?district=abc").status_code == 404


def test_a_city_of_a_few_towns_still_lists_them_all(client, city, tmp_path):
    submit_day(tmp_path, city, DAY, {("二街道", "crime"): (7, 0), ("三镇", "traffic"): (1, 1)})
    publish_day(DAY).raise_for_problems()
    page = client.get("/").content.decode()
    assert all(name in page for name in ("一镇", "二街道", "三镇", "甲区", "乙区"))
    assert page.count("/towns/") == 3 and "各区" not in page


def test_a_new_revision_is_shown_at_once_by_the_cached_page_and_api(client, big_city):
    town = Town.objects.get(name="西区000镇")
    assert shown_level(client.get(f"/?district={town.district_id}"), town.name) == "blue"
    assert client.get("/api/v1/index/", {"town": town.pk}).json()["results"][0]["level"] == "blue"
    publish_directly(big_city, DAY, {town.pk: "red"}, revision=2)
    page = client.get(f"/?district={town.district_id}").content.decode()
    assert shown_level(page, town.name) == "red" and "西区000镇 · " in page  # and its safety tip
    assert "红（较差） 7" in client.get("/").content.decode()
    assert client.get("/api/v1/index/", {"town": town.pk}).json()["results"][0]["level"] == "red"


def test_a_cached_answer_costs_one_query_and_may_be_kept_a_minute(client, big_city, django_assert_num_queries):
    for path in ("/", "/api/v1/index/", "/api/v1/index/?page=2"):
        first = client.get(path)
        with django_assert_num_queries(1):  # which publication is the latest
            again = client.get(path)
        assert again.content.split(b"<main>")[-1] == first.content.split(b"<main>")[-1]  # the header has a token
    assert "max-age=60" in again["Cache-Control"] and "public" in again["Cache-Control"]
    assert "max-age=60" in client.get("/")["Cache-Control"]
    assert again.json()["count"] == 210 + 3


def test_the_api_counts_the_days_rows_once_for_all_its_pages(client, big_city):
    client.get("/api/v1/index/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/api/v1/index/?page=3").json()
    assert page["count"] == 213 and len(page["results"]) == 50
    assert not any("COUNT" in q["sql"] and "pingan_dailyindex" in q["sql"] for q in queries)
