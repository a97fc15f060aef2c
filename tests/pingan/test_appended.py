"""The state of a table that only grows changes with every row committed, also one committed behind the
latest (pingan/appended.py)."""

import pytest

from pingan.appended import appended_state
from workflows.models import TransitionLog


def log(**fields) -> TransitionLog:
    return TransitionLog(subject="case", subject_id=1, transition="open", source="", target="mobilize", **fields)


def test_a_row_committed_behind_the_latest_changes_the_state(db):
    first, middle, last = TransitionLog.objects.bulk_create([log(), log(), log()])
    TransitionLog.objects.filter(pk=middle.pk).delete()  # numbered, not yet committed
    before = appended_state(TransitionLog)
    assert before == (last.pk, 2, first.pk + last.pk)
    TransitionLog.objects.bulk_create([log(id=middle.pk)])  # commits after the latest
    assert appended_state(TransitionLog) == (last.pk, 3, first.pk + middle.pk + last.pk)
    TransitionLog.objects.bulk_create([log()])
    assert appended_state(TransitionLog)[0] > last.pk


def test_a_row_committed_behind_the_latest_changes_the_state_of_a_full_window_too(db, monkeypatch):
    monkeypatch.setattr("pingan.appended.RECENT", 2)
    first, second, third, last = TransitionLog.objects.bulk_create([log(), log(), log(), log()])
    TransitionLog.objects.filter(pk=third.pk).delete()  # numbered, not yet committed
    assert appended_state(TransitionLog) == (last.pk, 2, second.pk + last.pk)
    TransitionLog.objects.bulk_create([log(id=third.pk)])  # the same latest id, the same count
    assert appended_state(TransitionLog) == (last.pk, 2, third.pk + last.pk)


def test_an_empty_table_has_a_state_too(db):
    assert appended_state(TransitionLog) == (None, 0, None)


def test_the_state_among_some_values_changes_only_with_their_rows(city):
    from pingan.models import City

    other = City.objects.create(name="其他市")
    here = ("city_id", [city.pk])
    TransitionLog.objects.bulk_create([log(city=city), log(city=other)])
    before = appended_state(TransitionLog, among=here)
    TransitionLog.objects.bulk_create([log(city=other), log()])  # another city's, and one of no city
    assert appended_state(TransitionLog, among=here) == before
    TransitionLog.objects.bulk_create([log(city=city)])
    assert appended_state(TransitionLog, among=here)[0] > before[0]
    assert appended_state(TransitionLog, among=("city_id", [city.pk, other.pk]))[1] == 4
    with pytest.raises(ValueError, match="city_id"):
        appended_state(TransitionLog, among=("city_id", []))
