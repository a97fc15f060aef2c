"""Importing regions: cities, districts, towns, their bundled units and populations."""

import datetime

import pytest

from pingan.errors import RejectedFile
from pingan.models import City, Population, Town, Unit
from pingan.services.regions import import_regions
from tests.factories import write_csv

HEADER = ["city", "district", "town", "population", "effective_from"]


def test_regions_and_their_units_are_created(db, tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        HEADER,
        [["珠海市", "香洲区", "拱北街道", 121000, "2020-01-01"], ["珠海市", "斗门区", "井岸镇", 205000, "2020-01-01"]],
    )
    result = import_regions(path)
    assert (result.cities, result.districts, result.towns, result.populations_added) == (1, 2, 2, 2)
    city = City.objects.get()
    assert Town.objects.get(name="拱北街道").kind == Town.Kind.STREET
    assert Town.objects.get(name="井岸镇").kind == Town.Kind.TOWN
    gongbei = Town.objects.get(name="拱北街道")
    # a town is bundled with its police station
    assert set(Unit.objects.filter(town=gongbei).values_list("kind", "name")) == {
        ("town_government", "拱北街道办事处"),
        ("police_station", "拱北街道派出所"),
    }
    assert Unit.objects.filter(city=city, kind="safety_office").count() == 1
    assert set(Unit.objects.filter(kind="department").values_list("indicators__code", flat=True)) == {
        "crime",
        "fire",
        "traffic",
    }
    assert Unit.objects.filter(kind="police_branch", district__name="香洲区").exists()


def test_reimport_adds_population_records_without_duplicating_regions(db, tmp_path):
    import_regions(write_csv(tmp_path / "a.csv", HEADER, [["珠海市", "香洲区", "拱北街道", 121000, "2020-01-01"]]))
    result = import_regions(
        write_csv(
            tmp_path / "b.csv",
            HEADER,
            [
                ["珠海市", "香洲区", "拱北街道", 121000, "2020-01-01"],
                ["珠海市", "香洲区", "拱北街道", 130000, "2026-01-01"],
            ],
        )
    )
    assert (result.towns, result.units, result.populations_added, result.populations_changed) == (0, 0, 1, 0)
    assert list(Population.objects.values_list("effective_from", "population")) == [
        (datetime.date(2020, 1, 1), 121000),
        (datetime.date(2026, 1, 1), 130000),
    ]


def test_bad_region_rows_reject_the_file(db, tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        HEADER,
        [
            ["珠海市", "香洲区", "拱北街道", 121000, "2020-01-01"],
            ["珠海市", "", "吉大街道", 1000, "2020-01-01"],
            ["珠海市", "香洲区", "翠香街道", 0, "2020-01-01"],
            ["珠海市", "香洲区", "狮山街道", 1000, "2020-13-01"],
            ["珠海市", "香洲区", "拱北街道", 5, "2020-01-01"],
        ],
    )
    with pytest.raises(RejectedFile) as caught:
        import_regions(path)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (3, "district is empty"),
        (4, "population must be positive"),
        (5, "effective_from: bad date '2020-13-01': expected YYYY-MM-DD"),
        (6, "duplicate of line 2 (same town and effective_from)"),
    ]
    assert not City.objects.exists()
