"""The state of a table that only grows changes with every row committed, also one committed behind the
latest (pingan/appended.py)."""

from pingan.appended import appended_state
from workflows.models import TransitionLog


def log(**fields) -> TransitionLog:
    return TransitionLog(subject="case", subject_id=1, transition="open", source="", target="mobilize", **fields)


def test_a_row_committed_behind_the_latest_changes_the_state(db):
    first, middle, last = TransitionLog.objects.bulk_create([log(), log(), log()])
    TransitionLog.objects.filter(pk=middle.pk).delete()  # numbered, not yet committed
    before = appended_state(TransitionLog)
    assert before == (last.pk, 2)
    TransitionLog.objects.bulk_create([log(id=middle.pk)])  # commits after the latest
    assert appended_state(TransitionLog) == (last.pk, 3)
    TransitionLog.objects.bulk_create([log()])
    assert appended_state(TransitionLog)[0] > last.pk


def test_an_empty_table_has_a_state_too(db):
    assert appended_state(TransitionLog) == (None, 0)
