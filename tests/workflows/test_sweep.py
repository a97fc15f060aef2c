"""The hourly deadline sweep and the morning digest: each acts once, whatever runs twice."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from accountability.models import AccountabilityRecord
from pingan.models import Unit
from tests.workflows.conftest import RED
from workflows.models import Case, Notice, Notification, RectificationTask, SweepMark, TransitionLog
from workflows.services import cases, rectification, sweep
from workflows.services.sweep import deadline_sweep, morning_digest

D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def tasks(publish, people):
    """Two tasks assigned on Monday 2 Nov 2026, due Monday 9 Nov (red: 5 working days)."""
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), tick=False):
        publish(D(2026, 11, 1), RED)
        case = Case.objects.get()
        cases.case_force_analysis(case_id=case.pk, user=people["office"], reason="测试")
        cases.case_file_analysis(case_id=case.pk, user=people["office"], report="分析")
        cases.case_issue_warning(case_id=case.pk, user=people["office"])
        made = [
            rectification.task_create(
                case_id=case.pk, user=people["office"], owner=Unit.objects.get(name=name), title=title
            )
            for name, title in (("一镇派出所", "夜间巡逻"), ("一镇人民政府", "整治出租屋"))
        ]
    assert {t.deadline for t in made} == {D(2026, 11, 9)}
    return made


def test_a_reminder_the_working_day_before_the_deadline_once(tasks, people):
    assert deadline_sweep(D(2026, 11, 5)).reminded == 0  # Thursday: two working days ahead
    report = deadline_sweep(D(2026, 11, 6))  # Friday: Monday is the next working day
    assert report.reminded == 2
    assert people["police"].notifications.filter(kind="task_due").count() == 1
    assert deadline_sweep(D(2026, 11, 6)).reminded == 0
    assert deadline_sweep(D(2026, 11, 9)).reminded == 0  # the deadline day itself: already reminded
    assert Notification.objects.filter(kind="task_due").count() == 2


def test_an_overdue_task_gets_one_numbered_supervision_notice(tasks, people):
    rectification.task_accept(task_id=tasks[1].pk, user=people["town"])
    rectification.task_submit(task_id=tasks[1].pk, user=people["town"], report="已整治")  # submitted: not overdue

    report = deadline_sweep(D(2026, 11, 10))

    assert report.overdue_notices == 1
    notice = Notice.objects.get(task=tasks[0])
    assert notice.kind == "supervision" and notice.document_number == "测平安督〔2026〕1号"
    assert "已于2026年11月09日到期未完成" in notice.body
    assert people["police"].notifications.filter(kind="task_overdue", title__contains="测平安督〔2026〕1号").exists()
    assert deadline_sweep(D(2026, 11, 10)).overdue_notices == 0
    assert deadline_sweep(D(2026, 11, 11)).overdue_notices == 0
    assert Notice.objects.filter(kind="supervision").count() == 1


def test_an_extension_re_arms_the_sweep_for_the_new_deadline(tasks, people):
    deadline_sweep(D(2026, 11, 10))
    request = rectification.task_request_extension(
        task_id=tasks[0].pk, user=people["police"], working_days=5, reason="需协调"
    )
    rectification.extension_approve(request_id=request.pk, user=people["office"])
    assert RectificationTask.objects.get(pk=tasks[0].pk).deadline == D(2026, 11, 16)
    assert deadline_sweep(D(2026, 11, 13)).reminded == 1
    assert deadline_sweep(D(2026, 11, 17)).overdue_notices == 1
    assert Notice.objects.filter(task=tasks[0]).count() == 2


def test_overdue_beyond_the_grace_proposes_accountability_once(tasks, people):
    # due Mon 9 Nov; 3 working days of grace: 10, 11, 12 Nov. Overdue by more than that on Fri 13 Nov.
    assert deadline_sweep(D(2026, 11, 12)).accountability_proposals == 0
    report = deadline_sweep(D(2026, 11, 13))
    assert report.accountability_proposals == 2
    record = AccountabilityRecord.objects.get(tasks=tasks[0])
    assert (record.origin, record.state, record.target_unit.name) == ("overdue_task", "proposed", "一镇派出所")
    assert record.case == tasks[0].case
    assert deadline_sweep(D(2026, 11, 16)).accountability_proposals == 0
    assert AccountabilityRecord.objects.count() == 2


def test_every_task_marked_is_read_back_also_in_parts(tasks, people, monkeypatch):
    monkeypatch.setattr(sweep, "SQLITE_IDS", 1)  # SQLite reads the marked tasks back in parts
    report = deadline_sweep(D(2026, 11, 10))
    assert report.overdue_notices == 2
    supervision = Notice.objects.filter(kind="supervision")
    assert sorted(supervision.values_list("task_id", flat=True)) == sorted(t.pk for t in tasks)


def test_deleting_a_task_deletes_its_marks(tasks, people):
    deadline_sweep(D(2026, 11, 6))  # both reminded
    RectificationTask.objects.filter(pk=tasks[0].pk).delete()  # the database does not check the marks' key
    assert list(SweepMark.objects.values_list("task_id", flat=True)) == [tasks[1].pk]


def test_the_sweep_costs_the_same_queries_for_more_tasks(tasks, people):
    with CaptureQueriesContext(connection) as few:
        deadline_sweep(D(2026, 11, 13))
    case = tasks[0].case
    for n in range(30):
        RectificationTask.objects.create(case=case, owner=tasks[0].owner, title=f"任务{n}", deadline=D(2026, 11, 9))
    with CaptureQueriesContext(connection) as many:
        report = deadline_sweep(D(2026, 11, 13))
    assert report.overdue_notices == 30 and report.accountability_proposals == 30
    assert len(many.captured_queries) <= len(few.captured_queries)  # the first run also created the counter


def test_the_morning_digest_once_per_member_per_working_day(tasks, people):
    assert morning_digest(D(2026, 11, 7)) == 0  # a Saturday
    sent = morning_digest(D(2026, 11, 10))
    assert sent == morning_digest(D(2026, 11, 10))  # the second run writes nothing new
    digest = Notification.objects.get(recipient=people["police"], kind="digest")
    assert digest.title == "2026-11-10: 0 case(s) to acknowledge, 1 open task(s), 1 overdue"
    assert Notification.objects.filter(kind="digest").count() == sent


def test_the_index_of_owed_tasks_covers_exactly_the_owed_states():
    from workflows.models import OWED, RectificationTask

    assert sorted(OWED) == sorted(RectificationTask.OWED_STATES)
    (owed,) = [i for i in RectificationTask._meta.indexes if i.name == "task_owed"]
    assert owed.condition == Q(state__in=OWED)


def migrate_workflows(to: str):
    """Migrate the test database's workflows app to `to` ("latest": its last migration); the apps then."""
    executor = MigrationExecutor(connection)
    target = ("workflows", to) if to != "latest" else executor.loader.graph.leaf_nodes("workflows")[0]
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_what_the_sweep_did_and_a_downgrade_gives_it_back(tasks, people):
    deadline_sweep(D(2026, 11, 6))  # reminded for the 9th
    deadline_sweep(D(2026, 11, 10))  # noticed, overdue
    done = sorted(SweepMark.objects.values_list("task_id", "step", "deadline"))
    assert done == sorted((t.pk, step, D(2026, 11, 9)) for t in tasks for step in ("notice", "remind"))
    try:
        before = migrate_workflows("0008_attachment_order").get_model("workflows", "RectificationTask")
        columns = before.objects.order_by("id").values_list(
            "id", "reminded_for", "overdue_notice_for", "accountability_for"
        )
        assert list(columns) == [(t.pk, D(2026, 11, 9), D(2026, 11, 9), None) for t in tasks]
    finally:
        migrate_workflows("latest")
    assert sorted(SweepMark.objects.values_list("task_id", "step", "deadline")) == done
    report = deadline_sweep(D(2026, 11, 10))
    assert (report.reminded, report.overdue_notices) == (0, 0)  # nothing done twice across the upgrade


def test_every_log_row_of_a_case_carries_its_city(tasks, people):
    """Opened by the intake, moved by the services, proposed by the sweep: the board's cache reads a
    city's rows (workflows/board_cache.py)."""
    assert deadline_sweep(D(2026, 11, 13)).accountability_proposals == 2
    rows = TransitionLog.objects.exclude(case=None)
    assert {"open", "force_analysis", "issue_warning", "create", "propose"} <= {r.transition for r in rows}
    assert set(rows.values_list("city_id", flat=True)) == {Case.objects.get().town.district.city_id}


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_files_the_log_rows_written_before_under_their_citys(tasks, people):
    try:
        before = migrate_workflows("0009_sweep_marks").get_model("workflows", "TransitionLog")
        assert "city" not in {f.name for f in before._meta.get_fields()}  # the rows as the code before wrote them
    finally:
        migrate_workflows("latest")  # workflows 0010 fills them in
    rows = TransitionLog.objects.exclude(case=None)
    assert rows.count() >= 5
    assert set(rows.values_list("city_id", flat=True)) == {Case.objects.get().town.district.city_id}
