"""Publishing a day opens a case for each red or orange town, once, and climbs the escalation ladder."""

import datetime

from accountability.models import AccountabilityRecord
from pingan.models import Town
from pingan.services.publication import publish_day
from tests.workflows.conftest import BLUE, DEATH, ORANGE, RED
from workflows.models import Case, CaseDay, Notice, Notification, RectificationTask, TransitionLog

D = datetime.date
DAY = D(2026, 11, 2)


def days(n: int) -> list[datetime.date]:
    return [DAY + datetime.timedelta(days=i) for i in range(n)]


def test_a_red_town_opens_a_case_in_mobilize_with_its_owners(publish, people):
    publish(DAY, RED)

    case = Case.objects.get()
    assert (case.town.name, case.level, case.stage, case.opened_on, case.escalation_level) == (
        "一镇",
        "red",
        "mobilize",
        DAY,
        1,
    )
    # the town bundled with its police station, and the departments of the driving indicators
    assert set(case.owners.values_list("unit__name", "role")) == {
        ("一镇人民政府", "town_government"),
        ("一镇派出所", "police_station"),
        ("测试市公安局", "department"),
        ("测试市公安局交通警察支队", "department"),
    }
    assert list(case.days.values_list("date", "level")) == [(DAY, "red")]
    assert TransitionLog.objects.filter(case=case, transition="open", source="", target="mobilize").count() == 1
    # each owner's members find it in their inbox
    assert set(Notification.objects.filter(kind="case_opened").values_list("recipient__username", flat=True)) == {
        "town",
        "police",
        "crime_dept",
        "traffic_dept",
    }


def test_an_orange_town_opens_a_case_and_a_blue_one_does_not(publish, people):
    publish(DAY, ORANGE)
    case = Case.objects.get()
    assert case.level == "orange"
    assert not case.owners.filter(unit__name="测试市公安局交通警察支队").exists()
    publish(DAY + datetime.timedelta(days=1), BLUE)
    assert Case.objects.count() == 1 and case.days.count() == 1


def test_a_death_brings_the_department_of_its_indicator(publish, people):
    publish(DAY, DEATH)
    assert Case.objects.get().owners.filter(unit__name="测试市消防救援支队", role="department").exists()


def test_republishing_a_day_never_opens_a_second_case(publish, city):
    publish(DAY, RED)
    publish_day(DAY, cities=[city])  # the same day again
    publish(DAY, {**RED, ("一镇", "crime"): (21, 0)})  # a correction, still red: a new revision

    assert Case.objects.count() == 1
    assert CaseDay.objects.count() == 1
    assert TransitionLog.objects.filter(transition="open").count() == 1


def test_a_new_red_day_is_attached_to_the_open_case(publish):
    publish(DAY, ORANGE)
    publish(DAY + datetime.timedelta(days=1), RED)

    case = Case.objects.get()
    assert list(case.days.values_list("level", flat=True)) == ["orange", "red"]
    assert case.level == "orange"  # the colour that opened it


def test_the_escalation_ladder_adds_each_action_once(publish, people):
    for day in days(5):
        publish(day, RED)

    case = Case.objects.get()
    assert case.escalation_level == 5
    # level 3: a supervision notice at once
    notice = Notice.objects.get(kind="supervision")
    assert notice.document_number == f"测平安督〔{notice.year}〕1号" and notice.case == case
    # level 4: an interview of the town's leaders, a task for the district office
    interview = RectificationTask.objects.get(kind="interview")
    assert (interview.owner.name, interview.title) == ("甲区人民政府", "约谈一镇党政主要领导")
    # level 5: an accountability proposal, and the case is bound for hold-accountable
    record = AccountabilityRecord.objects.get()
    assert (record.origin, record.state, record.target_unit.name) == ("escalation", "proposed", "一镇人民政府")
    assert case.enter_accountability
    assert Notification.objects.filter(recipient=people["leader"], kind="accountability_proposed").count() == 1
    assert TransitionLog.objects.filter(case=case, transition="escalate").count() == 4
    # every row filed under the case's city, the ladder's own (create, propose) and the plain raises alike
    assert set(TransitionLog.objects.filter(case=case).values_list("city_id", flat=True)) == {
        case.town.district.city_id
    }

    for day in days(5):  # republishing every day changes nothing
        publish(day, RED)
    assert (Notice.objects.count(), RectificationTask.objects.count(), AccountabilityRecord.objects.count()) == (
        1,
        1,
        1,
    )
    assert Case.objects.get().escalation_level == 5


def test_an_orange_day_breaks_the_red_streak(publish):
    publish(DAY, RED)
    publish(DAY + datetime.timedelta(days=1), RED)
    publish(DAY + datetime.timedelta(days=2), ORANGE)
    publish(DAY + datetime.timedelta(days=3), RED)
    publish(DAY + datetime.timedelta(days=4), RED)

    case = Case.objects.get()
    assert case.escalation_level == 2
    assert not Notice.objects.exists()


def test_a_closed_case_lets_the_next_red_day_open_a_new_one(publish):
    publish(DAY, RED)
    Case.objects.filter(pk=Case.objects.get().pk).update(stage="closed")
    publish(DAY + datetime.timedelta(days=1), RED)
    assert Case.objects.filter(town=Town.objects.get(name="一镇")).count() == 2


def test_opening_cases_costs_the_same_queries_for_one_town_or_many(publish, people, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.services.intake import open_cases_for_day

    both = {**RED, ("二街道", "crime"): (20, 0), ("二街道", "traffic"): (20, 0)}
    later = DAY + datetime.timedelta(days=2)  # not the next day: no red streak, no escalation
    publish(DAY, RED)
    publish(later, both)
    Notification.objects.all().delete()
    TransitionLog.objects.all().delete()
    CaseDay.objects.all().delete()
    Case.objects.all().delete()

    with CaptureQueriesContext(connection) as one:
        assert open_cases_for_day(city, DAY) == 1
    Case.objects.update(stage="closed")
    with CaptureQueriesContext(connection) as two:
        assert open_cases_for_day(city, later) == 2

    assert Case.objects.filter(stage="mobilize").count() == 2
    assert len(two.captured_queries) == len(one.captured_queries)


def test_a_ladder_step_that_needs_next_years_calendar_waits_and_tells_the_office(publish, people):
    from workflows.models import CalendarYear

    CalendarYear.objects.filter(year=2027).delete()  # not published yet
    for n in range(4):  # red 26–29 December: level 4 schedules an interview due in 2027
        publish(D(2026, 12, 26) + datetime.timedelta(days=n), RED)

    case = Case.objects.get()
    assert case.escalation_level == 3  # the supervision notice was issued; the interview waits
    assert not RectificationTask.objects.filter(kind="interview").exists()
    message = people["office"].notifications.get(kind="escalation_blocked")
    assert "no data for 2027" in message.body
