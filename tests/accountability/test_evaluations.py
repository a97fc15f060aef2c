"""A period's evaluations: grouped weights, ranks, veto, traceability, idempotence, locked results."""

import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from accountability.evaluation_rules import Period
from accountability.models import AccountabilityRecord, Evaluation, ManualAdjustment
from accountability.services import record_approve, record_propose
from accountability.services.evaluations import (
    compute_evaluations,
    evaluation_approve,
    evaluation_publish,
    evaluation_send_back,
    evaluation_submit_for_review,
)
from accountability.tasks import evaluate_ended_periods
from pingan.models import DailyIndex, Town, Unit
from tests.workflows.conftest import ORANGE, RED
from workflows.errors import NotPermitted, TransitionRefused
from workflows.models import Case, TransitionLog

D = datetime.date
NOVEMBER = Period.parse("2026-11")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def month(publish, people):
    """November 1–4: 一镇 (a town) red, orange, blue, blue; 二街道 (a street) blue every day."""
    publish(D(2026, 11, 1), RED)
    publish(D(2026, 11, 2), ORANGE)
    publish(D(2026, 11, 3), {})
    publish(D(2026, 11, 4), {})
    return people


def evaluation(unit_name: str) -> Evaluation:
    return Evaluation.objects.get(unit__name=unit_name, period="2026-11")


def test_each_group_is_scored_with_its_own_weights_and_ranked_within_it(month):
    (report,) = compute_evaluations(NOVEMBER)

    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)  # two towns × (government, police)
    town, street = evaluation("一镇人民政府"), evaluation("二街道办事处")
    assert (town.group, street.group) == ("town", "street")
    # 一镇 (town weights 0.6/0.4, −2 per red, −1 per orange): mean (68+76+100+100)/4 = 86 → 51.6 + 40 − 2 − 1
    assert town.score == Decimal("88.60")
    # 二街道 (street weights 0.7/0.3): 70 + 30
    assert street.score == Decimal("100.00")
    # alone in their groups, both are first
    assert (town.rank, town.group_size, street.rank) == (1, 1, 1)
    assert town.state == "computed"
    assert TransitionLog.objects.filter(subject="evaluation", transition="compute").count() == 4


def test_ties_share_a_rank(month, city):
    Town.objects.filter(name="二街道").update(kind="town")  # now both in the town group
    DailyIndex.objects.filter(town__name="一镇").update(score=Decimal("100.00"), level="blue")

    compute_evaluations(NOVEMBER)

    assert [evaluation(n).rank for n in ("一镇人民政府", "二街道办事处")] == [1, 1]
    assert evaluation("一镇人民政府").recommendation == "commendation"


def test_every_number_can_be_traced(month):
    Case.objects.get()  # 一镇's case
    record = record_propose(
        case=Case.objects.get(),
        target_unit=Unit.objects.get(name="一镇人民政府"),
        measure="interview",
        origin="office",
        grounds="整改不力",
        user=month["office"],
    )
    with time_machine.travel(datetime.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)):
        record_approve(record_id=record.pk, user=month["leader"])
    adjustment = ManualAdjustment.objects.create(
        unit=Unit.objects.get(name="一镇人民政府"),
        date=D(2026, 11, 15),
        points=Decimal("-2"),
        finding="暗访发现夜间巡逻缺位",
        evidence="11月15日22时暗访视频",
        author=month["office"],
    )

    compute_evaluations(NOVEMBER)

    c = evaluation("一镇人民政府").components
    indices = [d["index"] for d in c["mean_score"]["days"]]
    assert set(DailyIndex.objects.filter(id__in=indices).values_list("date", flat=True)) == {
        D(2026, 11, n) for n in range(1, 5)
    }
    assert c["red_days"]["days"] == ["2026-11-01"] and c["orange_days"]["days"] == ["2026-11-02"]
    assert c["accountability"]["records"] == [{"record": record.pk, "measure": "interview", "points": "-3"}]
    assert c["adjustments"]["adjustments"][0]["adjustment"] == adjustment.pk
    assert evaluation("一镇人民政府").score == Decimal("83.60")  # 88.60 − 3 − 2


def test_a_veto_caps_the_evaluation_and_brings_a_penalty(month):
    record = record_propose(
        case=Case.objects.get(),
        target_unit=Unit.objects.get(name="一镇人民政府"),
        measure="veto",
        origin="office",
        grounds="发生重大责任事故",
        user=month["office"],
    )
    with time_machine.travel(datetime.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)):
        record_approve(record_id=record.pk, user=month["leader"])

    compute_evaluations(NOVEMBER)

    town = evaluation("一镇人民政府")
    assert (town.score, town.vetoed, town.recommendation) == (Decimal("60.00"), True, "penalty")


def test_computing_again_changes_nothing(month):
    compute_evaluations(NOVEMBER)
    before = list(Evaluation.objects.order_by("id").values_list("id", "score", "rank", "computed_at"))
    logs = TransitionLog.objects.count()

    (report,) = compute_evaluations(NOVEMBER)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert list(Evaluation.objects.order_by("id").values_list("id", "score", "rank", "computed_at")) == before
    assert TransitionLog.objects.count() == logs


def test_a_computed_draft_follows_new_data(month, publish):
    compute_evaluations(NOVEMBER)
    publish(D(2026, 11, 5), RED)
    (report,) = compute_evaluations(NOVEMBER)
    assert report.updated == 4  # every unit has a new day behind its numbers
    assert evaluation("一镇人民政府").score < Decimal("88.60")


def review_and_approve(month, name="一镇人民政府") -> Evaluation:
    e = evaluation(name)
    evaluation_submit_for_review(evaluation_id=e.pk, user=month["office"])
    evaluation_approve(evaluation_id=e.pk, user=month["leader"])
    return Evaluation.objects.get(pk=e.pk)


def test_an_approved_evaluation_is_never_changed_silently(month, publish):
    compute_evaluations(NOVEMBER)
    approved = review_and_approve(month)
    publish(D(2026, 11, 5), RED)

    (report,) = compute_evaluations(NOVEMBER)

    assert len(report.refused) == 1
    assert "一镇人民政府 2026-11 is approved: a recomputation would change it (score 88.60 →" in report.refused[0]
    assert evaluation("一镇人民政府").score == approved.score == Decimal("88.60")
    with pytest.raises(CommandError, match="is approved: a recomputation would change it"):
        call_command("compute_evaluations", "--period", "2026-11", stdout=io.StringIO())


def test_an_approved_evaluation_that_would_not_change_is_left_alone(month):
    compute_evaluations(NOVEMBER)
    review_and_approve(month)
    (report,) = compute_evaluations(NOVEMBER)
    assert report.refused == [] and report.unchanged == 4


def test_the_review_path_and_who_may_take_it(month):
    compute_evaluations(NOVEMBER)
    e = evaluation("一镇人民政府")
    with pytest.raises(NotPermitted):
        evaluation_submit_for_review(evaluation_id=e.pk, user=month["town"])
    evaluation_submit_for_review(evaluation_id=e.pk, user=month["office"])
    with pytest.raises(NotPermitted):
        evaluation_approve(evaluation_id=e.pk, user=month["office"])
    with pytest.raises(TransitionRefused, match="the evaluation is under review"):
        evaluation_publish(evaluation_id=e.pk, user=month["office"])
    with pytest.raises(Exception, match="reason is required"):
        evaluation_send_back(evaluation_id=e.pk, user=month["leader"], reason="")
    evaluation_send_back(evaluation_id=e.pk, user=month["leader"], reason="核对任务按时率")
    assert evaluation("一镇人民政府").state == "computed"
    evaluation_submit_for_review(evaluation_id=e.pk, user=month["office"])
    evaluation_approve(evaluation_id=e.pk, user=month["leader"])
    evaluation_publish(evaluation_id=e.pk, user=month["office"])
    assert evaluation("一镇人民政府").state == "published"
    assert list(
        TransitionLog.objects.filter(subject="evaluation", subject_id=e.pk)
        .order_by("id")
        .values_list("transition", flat=True)
    ) == ["compute", "submit_for_review", "send_back", "submit_for_review", "approve", "publish"]


def test_exports_csv_and_xlsx(month, tmp_path):
    compute_evaluations(NOVEMBER)
    out = io.StringIO()
    call_command("export_evaluations", "--period", "2026-11", "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("unit,group,score,rank,status,")
    assert "二街道办事处,street,100.00,1,computed," in out.getvalue()

    path = tmp_path / "nov.xlsx"
    call_command("export_evaluations", "--period", "2026-11", "--format", "xlsx", "--output", str(path))
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]][:5] == ["unit", "group", "score", "rank", "status"]
    assert sheet.max_row == 2 + 4
    assert sheet.page_setup.orientation == "landscape"


def test_the_xlsx_download_is_for_the_office_and_leadership(client, month):
    compute_evaluations(NOVEMBER)
    client.force_login(month["leader"])
    response = client.get("/evaluations/export/?period=2026-11")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(month["town"])
    assert client.get("/evaluations/export/?period=2026-11").status_code == 403


def test_export_of_a_period_without_evaluations_says_so(db):
    with pytest.raises(CommandError, match="has no evaluations: run compute_evaluations"):
        call_command("export_evaluations", "--period", "2026-11")


def test_the_monthly_job_computes_the_month_that_ended_and_is_idempotent(month):
    assert evaluate_ended_periods("2026-11-15") == {}
    assert evaluate_ended_periods("2026-12-01") == {"2026-11": 4}
    assert evaluate_ended_periods("2026-12-01") == {"2026-11": 0}
    assert Evaluation.objects.count() == 4


def test_records_are_decided_by_leadership_and_executed_by_the_office(month):
    record = record_propose(
        case=Case.objects.get(),
        target_unit=Unit.objects.get(name="一镇人民政府"),
        measure="interview",
        origin="office",
        grounds="整改不力",
        user=month["office"],
    )
    with pytest.raises(NotPermitted):
        record_propose(
            case=Case.objects.get(),
            target_unit=Unit.objects.get(name="一镇人民政府"),
            measure="interview",
            origin="office",
            grounds="x",
            user=month["town"],
        )
    with pytest.raises(NotPermitted):
        record_approve(record_id=record.pk, user=month["office"])
    record_approve(record_id=record.pk, user=month["leader"])
    from accountability.services import record_execute

    with pytest.raises(NotPermitted):
        record_execute(record_id=record.pk, user=month["leader"])
    record_execute(record_id=record.pk, user=month["office"], comment="已约谈镇长")
    assert AccountabilityRecord.objects.get(pk=record.pk).state == "executed"


def test_leadership_opens_the_ranking_and_its_sources_in_the_admin(client, month):
    from django.urls import reverse

    compute_evaluations(NOVEMBER)
    client.force_login(month["leader"])
    listing = client.get(reverse("admin:accountability_evaluation_changelist") + "?period=2026-11").content.decode()
    assert "一镇人民政府" in listing and "88.60" in listing
    page = client.get(
        reverse("admin:accountability_evaluation_change", args=[evaluation("一镇人民政府").pk])
    ).content.decode()
    assert "各项数据来源" in page and "2026-11-01" in page
    first_day = DailyIndex.objects.current().get(town__name="一镇", date=D(2026, 11, 1))
    assert reverse("admin:pingan_dailyindex_change", args=[first_day.pk]) in page  # each day links to its index
