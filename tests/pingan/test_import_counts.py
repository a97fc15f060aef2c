"""Importing daily counts: a file is a submission, all or nothing."""

import datetime

import pytest
from openpyxl import Workbook

from pingan.errors import DomainError, RejectedFile
from pingan.models import DailyCount, DataImport, Submission, Town
from pingan.services.counts import import_counts
from tests.factories import COUNT_HEADER, write_csv

DAY = datetime.date(2026, 11, 20)
TODAY = datetime.date(2026, 11, 27)


def stored(city):
    return set(
        DailyCount.objects.filter(town__district__city=city).values_list(
            "date", "town__name", "indicator__code", "count", "deaths"
        )
    )


def test_a_file_declares_its_date_indicator_pairs_complete(city, tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        COUNT_HEADER,
        [
            ["2026-11-20", "一镇", "crime", 3, 0],
            ["2026-11-20", "二街道", "crime", 1, 0],
            ["2026-11-20", "一镇", "fire", 1, 1],
        ],
    )
    result = import_counts(path, city=city, today=TODAY)
    assert (result.rows, result.pairs_new, result.pairs_replaced) == (3, 2, 0)
    assert set(Submission.objects.values_list("date", "indicator__code")) == {(DAY, "crime"), (DAY, "fire")}
    assert stored(city) == {(DAY, "一镇", "crime", 3, 0), (DAY, "二街道", "crime", 1, 0), (DAY, "一镇", "fire", 1, 1)}
    # 三镇 is absent: it had no events; traffic was not submitted at all
    assert not Submission.objects.filter(indicator__code="traffic").exists()


def test_reimporting_the_same_file_changes_nothing(city, tmp_path):
    path = write_csv(tmp_path / "a.csv", COUNT_HEADER, [["2026-11-20", "一镇", "crime", 3, 0]])
    import_counts(path, city=city, today=TODAY)
    before = (stored(city), list(Submission.objects.values_list("id", "submitted_at")), DataImport.objects.count())

    again = import_counts(path, city=city, today=TODAY)

    assert not again.changed and again.pairs_unchanged == 1 and again.data_import is None
    assert (
        stored(city),
        list(Submission.objects.values_list("id", "submitted_at")),
        DataImport.objects.count(),
    ) == before


def test_a_corrected_file_replaces_its_pairs_and_only_those(city, tmp_path):
    first = write_csv(
        tmp_path / "a.csv",
        COUNT_HEADER,
        [
            ["2026-11-20", "一镇", "crime", 3, 0],
            ["2026-11-20", "二街道", "crime", 2, 0],
            ["2026-11-20", "一镇", "fire", 1, 0],
        ],
    )
    import_counts(first, city=city, today=TODAY)
    corrected = write_csv(tmp_path / "b.csv", COUNT_HEADER, [["2026-11-20", "三镇", "crime", 5, 0]])

    result = import_counts(corrected, city=city, today=TODAY)

    assert (result.pairs_replaced, result.pairs_new, result.changed_dates) == (1, 0, {DAY})
    # crime now holds only the corrected file's rows; fire is untouched
    assert stored(city) == {(DAY, "三镇", "crime", 5, 0), (DAY, "一镇", "fire", 1, 0)}
    assert Submission.objects.get(indicator__code="crime").source == "b.csv"


def test_explicit_zero_rows_equal_absent_rows(city, tmp_path):
    import_counts(
        write_csv(tmp_path / "a.csv", COUNT_HEADER, [["2026-11-20", "一镇", "crime", 2, 0]]), city=city, today=TODAY
    )
    same = write_csv(
        tmp_path / "b.csv", COUNT_HEADER, [["2026-11-20", "一镇", "crime", 2, 0], ["2026-11-20", "三镇", "crime", 0, 0]]
    )
    assert not import_counts(same, city=city, today=TODAY).changed


def test_a_file_with_any_bad_row_is_rejected_whole_with_every_problem(city, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        COUNT_HEADER,
        [
            ["2026-11-20", "一镇", "crime", 3, 0],  # line 2: fine
            ["2026-11-20", "不存在镇", "crime", 1, 0],  # line 3
            ["2026-11-20", "一镇", "weather", 1, 0],  # line 4
            ["2026-11-20", "二街道", "crime", -1, 0],  # line 5
            ["2026-11-20", "三镇", "crime", 2.5, 0],  # line 6
            ["20/11/2026", "三镇", "fire", 1, 0],  # line 7
            ["2026-11-20", "一镇", "crime", 4, 0],  # line 8: duplicate of line 2
            ["2026-11-20", "三镇", "traffic", 1, "x"],  # line 9
            ["2026-11-30", "三镇", "traffic", 1, 0],  # line 10: future
            ["2026-11-20", "二街道", "fire", 0, 1],  # line 11
        ],
    )
    with pytest.raises(RejectedFile) as caught:
        import_counts(path, city=city, today=TODAY)

    problems = {(p.line, p.message) for p in caught.value.problems}
    assert problems == {
        (3, "unknown town '不存在镇' in 测试市"),
        (4, "unknown indicator 'weather' (known: crime, fire, traffic)"),
        (5, "count '-1' is negative"),
        (6, "count '2.5' is not a whole number"),
        (7, "bad date '20/11/2026': expected YYYY-MM-DD"),
        (8, "duplicate of line 2 (same date, town and indicator)"),
        (9, "deaths 'x' is not a number"),
        (10, "date 2026-11-30 is in the future"),
        (11, "deaths reported with a count of 0 events"),
    }
    assert "line 3: unknown town" in str(caught.value)
    assert not DailyCount.objects.exists() and not Submission.objects.exists() and not DataImport.objects.exists()


def test_a_bad_file_does_not_touch_data_stored_before(city, tmp_path):
    import_counts(
        write_csv(tmp_path / "a.csv", COUNT_HEADER, [["2026-11-20", "一镇", "crime", 3, 0]]), city=city, today=TODAY
    )
    before = stored(city)
    bad = write_csv(
        tmp_path / "b.csv", COUNT_HEADER, [["2026-11-20", "一镇", "crime", 9, 0], ["2026-11-20", "?", "crime", 1, 0]]
    )
    with pytest.raises(RejectedFile):
        import_counts(bad, city=city, today=TODAY)
    assert stored(city) == before


def test_a_missing_column_is_named(city, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["date", "town", "count"], [["2026-11-20", "一镇", 1]])
    with pytest.raises(RejectedFile, match="missing column.*indicator"):
        import_counts(path, city=city, today=TODAY)


def test_an_empty_file_is_rejected(city, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(RejectedFile, match="empty"):
        import_counts(path, city=city, today=TODAY)


def test_deaths_column_may_be_left_out_or_blank(city, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["date", "town", "indicator", "count"], [["2026-11-20", "一镇", "crime", 2]])
    import_counts(path, city=city, today=TODAY)
    assert stored(city) == {(DAY, "一镇", "crime", 2, 0)}


def test_towns_may_be_named_by_code_and_ambiguous_names_are_refused(city, tmp_path):
    other = Town.objects.create(district=Town.objects.get(name="三镇").district, name="一镇", code="440402001")
    path = write_csv(
        tmp_path / "a.csv",
        COUNT_HEADER,
        [["2026-11-20", "440402001", "crime", 2, 0], ["2026-11-20", "一镇", "fire", 1, 0]],
    )
    with pytest.raises(RejectedFile) as caught:
        import_counts(path, city=city, today=TODAY)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (3, "town '一镇' is ambiguous in 测试市 (districts 甲区、乙区): use its code")
    ]
    ok = write_csv(tmp_path / "b.csv", COUNT_HEADER, [["2026-11-20", "440402001", "crime", 2, 0]])
    import_counts(ok, city=city, today=TODAY)
    assert DailyCount.objects.get().town == other


def test_xlsx_files_are_read_like_csv(city, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COUNT_HEADER)
    sheet.append([datetime.datetime(2026, 11, 20), "一镇", "crime", 3, 0])
    sheet.append(["2026-11-20", "二街道", "交通安全", 1.0, None])
    sheet.append([datetime.date(2026, 11, 20), "三镇", "fire", 1.5, 0])
    path = tmp_path / "counts.xlsx"
    workbook.save(path)

    with pytest.raises(RejectedFile) as caught:
        import_counts(path, city=city, today=TODAY)
    assert [(p.line, p.message) for p in caught.value.problems] == [(4, "count '1.5' is not a whole number")]

    sheet.delete_rows(4)
    workbook.save(path)
    import_counts(path, city=city, today=TODAY)
    assert stored(city) == {(DAY, "一镇", "crime", 3, 0), (DAY, "二街道", "traffic", 1, 0)}


def test_gb18030_csv_from_excel_is_read(city, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("date,town,indicator,count,deaths\n2026-11-20,一镇,crime,1,0\n".encode("gb18030"))
    import_counts(path, city=city, today=TODAY)
    assert stored(city) == {(DAY, "一镇", "crime", 1, 0)}


def test_with_several_cities_the_city_must_be_named(city, tmp_path):
    from tests.factories import make_small_city

    make_small_city("另一市")
    path = write_csv(tmp_path / "a.csv", COUNT_HEADER, [["2026-11-20", "一镇", "crime", 1, 0]])
    with pytest.raises(DomainError, match="several cities"):
        import_counts(path, today=TODAY)
    import_counts(path, city="另一市", today=TODAY)
    assert DailyCount.objects.get().town.district.city.name == "另一市"
