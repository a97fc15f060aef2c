"""Several cities on one deployment: a city's safety office sees its own city, not the others'."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflows.services import rectification


def test_another_citys_office_sees_none_of_this_citys_cases_tasks_or_notices(
    world, people, client_for, client, other_office
):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_office).key}")
    for resource in ("cases", "tasks", "notices", "extensions", "accountability-records", "transition-logs"):
        assert api.get(f"/api/v1/{resource}/").json()["count"] == 0, resource
        own = client_for("office").get(f"/api/v1/{resource}/").json()["count"]
        assert own > 0, resource  # this city's office still sees them
    assert api.get(f"/api/v1/tasks/{world['一镇']['tasks'].pk}/").status_code == 404
    client.force_login(people["office"])
    assert "一镇" in client.get("/board/").content.decode()  # this city's board, rendered and kept
    client.force_login(other_office)
    board = client.get("/board/").content.decode()
    assert "一镇" not in board and "data-case=" not in board


def test_another_citys_office_sees_none_of_this_citys_evaluations(world, people, client, other_office):
    evaluation = world["一镇"]["evaluations"]
    client.force_login(people["office"])
    assert "一镇人民政府" in client.get("/evaluations/?period=2026-11").content.decode()  # its own city's

    client.force_login(other_office)
    assert "一镇人民政府" not in client.get("/evaluations/?period=2026-11").content.decode()
    assert client.get(f"/evaluations/{evaluation.pk}/").status_code == 404
    export = client.get("/evaluations/export/?period=2026-11&format=csv").content.decode()
    assert len(export.strip().splitlines()) == 1  # the header only
    client.post("/evaluations/act/submit_for_review/", {"evaluation": [evaluation.pk], "period": "2026-11"})
    evaluation.refresh_from_db()
    assert evaluation.state == "computed"  # untouched


def test_a_users_units_and_facts_are_read_in_one_statement(world, people, other_office):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pingan.access import Access
    from pingan.models import City, Unit

    # a member of both cities' offices sees both cities; a member of no unit has no area at all
    both = get_user_model().objects.create_user("both_offices")
    offices = list(Unit.objects.filter(kind=Unit.Kind.SAFETY_OFFICE).order_by("city_id"))
    assert len(offices) == 2
    for office in offices:
        office.members.add(both)
    nobody = get_user_model().objects.create_user("in_no_unit")
    with CaptureQueriesContext(connection) as queries:
        two = Access(both)
        assert sorted(u.pk for u in two.units) == [o.pk for o in offices]
        assert two.city_wide and not two.is_feed and two.cities is None  # every city there is: no filter
        none = Access(nobody)
        assert none.units == [] and not none.city_wide and not none.is_feed
    assert len(queries.captured_queries) == 2  # one statement per user
    own = Access(other_office)
    assert [u.name for u in own.units] == ["其他市平安办"] and own.city_wide
    assert own.cities == [City.objects.get(name="其他市").pk]
    assert own.units[0].city.name == "其他市" and own.units[0]._state.adding is False  # as read from the database


def test_a_transition_in_another_city_leaves_this_citys_board_kept(world, people, client, other_office):
    from pingan.models import City
    from tests.web.test_board_cache import look
    from workflows.models import TransitionLog

    client.force_login(people["office"])
    look(client)  # renders this city's lists and keeps them
    other = City.objects.get(name="其他市")
    TransitionLog.objects.create(city=other, subject="case", subject_id=0, transition="open", source="", target="")
    assert "workflows_case" not in look(client)[1]  # still kept
    task = world["一镇"]["tasks"]
    rectification.task_accept(task_id=task.pk, user=people["police"])  # this city's: its log row has the city
    assert "workflows_case" in look(client)[1]  # rendered anew
