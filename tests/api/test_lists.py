"""The busiest lists (tasks, cases) are written from `.values()` rows (pingan.api_rows): the JSON must be
exactly what their serializers write. Their pages count at most COUNT_LIMIT rows (pingan.pagination)."""

from __future__ import annotations

import datetime
import json
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pingan.models import Unit
from pingan.pagination import BoundedPagination, bounded_counts
from workflows.api import CASE_PAGE, TASK_PAGE, CaseSerializer, TaskFilter, TaskSerializer
from workflows.models import Case, CaseDay, CaseOwner, RectificationTask
from workflows.services import rectification

from .conftest import D


@pytest.fixture
def varied_tasks(world, people):
    """Tasks in every state the lists show: assigned, overdue, submitted with two attachments, verified."""
    office, police = people["office"], people["police"]
    case = world["一镇"]["cases"]
    station = Unit.objects.get(name="一镇派出所")
    submitted = rectification.task_create(case_id=case.pk, user=office, owner=station, title="夜巡")
    rectification.task_accept(task_id=submitted.pk, user=police)
    files = [SimpleUploadedFile(name, b"%PDF-1.4", content_type="application/pdf") for name in ("一.pdf", "二.pdf")]
    rectification.task_submit(task_id=submitted.pk, user=police, report="已夜巡", files=files)
    verified = rectification.task_create(case_id=case.pk, user=office, owner=station, title="清查")
    rectification.task_accept(task_id=verified.pk, user=police)
    rectification.task_submit(task_id=verified.pk, user=police, report="已清查")
    rectification.task_verify(task_id=verified.pk, user=office, comment="属实")
    RectificationTask.objects.filter(pk=world["二街道"]["tasks"].pk).update(deadline=D(2026, 11, 3))  # overdue
    return RectificationTask.objects.all()


def as_json(data) -> object:
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


@pytest.mark.parametrize("role", ["office", "police", "town"])
def test_a_task_page_is_what_the_task_serializer_writes(varied_tasks, client_for, role):
    page = client_for(role).get("/api/v1/tasks/").json()
    ids = [row["id"] for row in page["results"]]
    expected = TaskSerializer(
        sorted(RectificationTask.objects.filter(pk__in=ids), key=lambda t: ids.index(t.pk)), many=True
    )
    assert page["results"] == as_json(expected.data)
    assert any(row["overdue"] for row in page["results"]) == (role == "office")
    if role != "town":
        assert [len(row["attachments"]) for row in page["results"]].count(2) == 1


def test_attachments_are_asked_for_only_when_a_task_of_the_page_has_some(world, varied_tasks, client_for):
    def attachment_queries(url: str) -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as queries:
            page = client_for("office").get(url).json()
        return page, sum(q["sql"].startswith('SELECT "workflows_taskattachment"') for q in queries.captured_queries)

    open_tasks, asked = attachment_queries("/api/v1/tasks/?state=assigned")
    assert open_tasks["results"] and all(row["attachments"] == [] for row in open_tasks["results"]) and asked == 0
    submitted, asked = attachment_queries("/api/v1/tasks/?state=submitted")
    assert [len(row["attachments"]) for row in submitted["results"]] == [2] and asked == 1


def test_a_case_page_is_what_the_case_serializer_writes(world, varied_tasks, client_for):
    """Each case's owners and days are read in the page's own statement, as JSON (workflows.api.case_rows):
    acknowledged and not, in the models' order, and a case with none of either."""
    first, second = world["一镇"]["cases"], world["二街道"]["cases"]
    owners = list(first.owners.order_by("-role"))
    assert len(owners) >= 2
    # Past midnight in Shanghai, not in UTC; microseconds; and one on the whole second.
    owners[0].acknowledged_at = datetime.datetime(2026, 11, 2, 16, 30, 0, 120, tzinfo=datetime.UTC)
    owners[1].acknowledged_at = datetime.datetime(2026, 11, 3, 1, 2, 3, tzinfo=datetime.UTC)
    CaseOwner.objects.bulk_update(owners[:2], ["acknowledged_at"])
    day = first.days.get()
    CaseDay.objects.create(case=first, town=day.town, date=day.date - datetime.timedelta(days=3), index=day.index)
    CaseOwner.objects.filter(case=second).delete()
    CaseDay.objects.filter(case=second).delete()

    page = client_for("office").get("/api/v1/cases/").json()
    by_id = {row["id"]: row for row in page["results"]}
    assert len(by_id[first.pk]["owners"]) == len(owners) and len(by_id[first.pk]["days"]) == 2
    assert by_id[second.pk]["owners"] == [] and by_id[second.pk]["days"] == []
    ids = [row["id"] for row in page["results"]]
    expected = CaseSerializer(sorted(Case.objects.filter(pk__in=ids), key=lambda c: ids.index(c.pk)), many=True)
    assert page["results"] == as_json(expected.data)
    assert "2026-11-03T00:30:00.000120+08:00" in json.dumps(page)


def test_a_filtered_task_page_is_filtered(varied_tasks, client_for):
    page = client_for("office").get("/api/v1/tasks/?state=verified").json()
    assert [row["title"] for row in page["results"]] == ["清查"]


def test_the_filter_form_is_built_only_when_a_filter_parameter_is_given(varied_tasks, client_for):
    client = client_for("office")
    checked = mock.patch.object(TaskFilter, "is_valid", autospec=True, side_effect=TaskFilter.is_valid)
    with checked as is_valid:
        unfiltered = client.get("/api/v1/tasks/?page=1").json()
        filtered = client.get("/api/v1/tasks/?page=1&state=verified").json()
        refused = client.get("/api/v1/tasks/?deadline_after=tomorrow")
    assert is_valid.call_count == 2  # not for ?page=1
    assert len(unfiltered["results"]) == 4 and [row["title"] for row in filtered["results"]] == ["清查"]
    assert refused.status_code == 400 and "deadline_after" in json.dumps(refused.json())


def test_a_query_is_given_a_filter_form_of_the_filters_it_names_alone(world, varied_tasks, client_for):
    client = client_for("office")
    station = Unit.objects.get(name="一镇派出所")
    district = world["一镇"]["cases"].town.district
    real = TaskFilter.is_valid
    forms = []

    def is_valid(filterset):
        forms.append(sorted(filterset.form.fields))
        return real(filterset)

    with mock.patch.object(TaskFilter, "is_valid", autospec=True, side_effect=is_valid):
        verified = client.get("/api/v1/tasks/?state=verified").json()
        owed = client.get(f"/api/v1/tasks/?state=assigned&owner={station.pk}&page=1").json()
        every = client.get(
            f"/api/v1/tasks/?state=assigned&case={world['二街道']['cases'].pk}&owner={station.pk}&kind=x"
        )
        late = client.get("/api/v1/tasks/?deadline_after=2026-11-04&deadline_before=bad")
    assert forms[:2] == [["state"], ["owner", "state"]] and forms[2] == ["case", "kind", "owner", "state"]
    assert [row["title"] for row in verified["results"]] == ["清查"]
    expected = RectificationTask.objects.filter(state="assigned", owner=station).values_list("id", flat=True)
    assert sorted(row["id"] for row in owed["results"]) == sorted(expected) and owed["results"]
    assert every.status_code == 400 and "kind" in json.dumps(every.json())  # not a kind of task
    assert late.status_code == 400 and "deadline_before" in json.dumps(late.json())
    assert forms[3] == ["deadline_after", "deadline_before"]
    in_district = client.get(f"/api/v1/cases/?town__district={district.pk}").json()
    assert sorted(row["id"] for row in in_district["results"]) == sorted(
        Case.objects.filter(town__district=district).values_list("id", flat=True)
    )


def test_the_browsable_api_offers_every_filter_also_on_a_filtered_list(varied_tasks, client_for):
    page = client_for("office").get("/api/v1/tasks/?state=verified", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("state", "case", "owner", "kind", "deadline_after", "deadline_before"):
        assert f'name="{name}"' in html, name


def test_the_schema_describes_every_filter_of_a_list(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    names = {p["name"] for p in schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert {"state", "case", "owner", "kind", "deadline_after", "deadline_before", "page", "ordering"} <= names


def test_a_short_list_is_counted_without_a_count_query(varied_tasks, client_for):
    client = client_for("office")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/api/v1/tasks/").json()
    assert page["count"] == RectificationTask.objects.count() == 4
    assert page["next"] is None and page["previous"] is None and page["count_limit"] == 1000
    assert not any("COUNT(*) FROM (SELECT" in q["sql"] for q in queries.captured_queries)


def test_pages_link_to_each_other_and_count_up_to_the_limit(varied_tasks, client_for):
    client = client_for("office")
    with mock.patch.object(BoundedPagination, "page_size", 1):
        with CaptureQueriesContext(connection) as queries:
            first = client.get("/api/v1/tasks/").json()
        assert [q["sql"] for q in queries.captured_queries if "COUNT(*) FROM (SELECT" in q["sql"]]
        second = client.get(first["next"]).json()
        last = client.get("/api/v1/tasks/?page=4").json()
        with mock.patch.object(BoundedPagination, "count_limit", 3):
            capped = client.get("/api/v1/tasks/?page=2").json()
            exact = client.get("/api/v1/tasks/?state=verified").json()
    assert first["count"] == second["count"] == last["count"] == 4
    assert first["previous"] is None and second["previous"].endswith("/api/v1/tasks/")
    assert second["next"].endswith("/api/v1/tasks/?page=3") and last["next"] is None
    ids = [page["results"][0]["id"] for page in (first, second, last)]
    assert len(set(ids)) == 3
    assert capped["count"] is None and capped["count_limit"] == 3 and capped["next"]
    assert exact["count"] == 1


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99", "last", "93350784012950415205203968"])
def test_a_page_that_does_not_exist_is_404(varied_tasks, client_for, page):
    answer = client_for("office").get(f"/api/v1/tasks/?page={page}", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 404 and answer.json()["detail"] == "Invalid page."


def test_several_lists_are_counted_up_to_the_limit_in_one_statement(varied_tasks):
    lists = {
        "all": RectificationTask.objects.all(),
        "verified": RectificationTask.objects.filter(state="verified"),
        "none": RectificationTask.objects.filter(title="无此任务"),
        "ordered": RectificationTask.objects.order_by("-deadline"),
    }
    with CaptureQueriesContext(connection) as queries:
        counts = bounded_counts(lists, limit=3)
    assert counts == {"all": None, "verified": 1, "none": 0, "ordered": None}  # 4 tasks: more than 3
    assert len(queries.captured_queries) == 1
    assert bounded_counts(lists, limit=4) == {"all": 4, "verified": 1, "none": 0, "ordered": 4}
    assert bounded_counts({}) == {}
    # querysets that cannot match anything are 0 without asking the database
    nothing = {"none": RectificationTask.objects.none(), "no ids": RectificationTask.objects.filter(pk__in=[])}
    with CaptureQueriesContext(connection) as queries:
        assert bounded_counts({**nothing, "verified": lists["verified"]}) == {"none": 0, "no ids": 0, "verified": 1}
        assert bounded_counts(nothing) == {"none": 0, "no ids": 0}
    assert len(queries.captured_queries) == 1


def test_an_officials_task_page_reads_the_cases_of_their_area_in_its_own_statement(varied_tasks, client_for, people):
    from pingan.access import Access

    with CaptureQueriesContext(connection) as queries:
        page = client_for("town").get("/api/v1/tasks/").json()
    assert page["results"] and page["count"] == len(page["results"])
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any(sql.startswith('SELECT "workflows_case"."id"') for sql in statements)
    (tasks,) = [sql for sql in statements if sql.startswith('SELECT "workflows_rectificationtask"."id"')]
    if connection.vendor == "postgresql":  # read once and looked up by index, also beside the OR
        assert '"case_id" = ANY(ARRAY(SELECT' in tasks
    # The official's unit is a town's, of no district: their area is read without the town table, which
    # only a district's part of an area needs (the page's columns read the towns' names, not its WHERE).
    assert "pingan_town" not in tasks.split('FROM "workflows_rectificationtask" WHERE', 1)[1]
    assert "pingan_town" not in str(Case.objects.filter(Access(people["town"]).area("town")).query)


@pytest.fixture
def second_district(world, people, tmp_path):
    """A district 乙区 with a town 三镇 and an open case there, whose one task the traffic department owns."""
    from pingan.models import Town
    from pingan.services.regions import import_regions
    from tests.factories import write_csv

    header = ["city", "district", "town", "population", "effective_from"]
    import_regions(write_csv(tmp_path / "second.csv", header, [["测试市", "乙区", "三镇", 30_000, "2020-01-01"]]))
    town = Town.objects.get(name="三镇")
    case = Case.objects.create(town=town, level="red", opened_on=D(2026, 11, 2), stage=Case.Stage.SUPERVISE)
    traffic = Unit.objects.get(name="测试市公安局交通警察支队")
    RectificationTask.objects.create(case=case, owner=traffic, title="夜查", deadline=D(2026, 11, 20))
    return town


def test_an_area_is_what_the_user_has_of_towns_districts_and_units(second_district, people):
    """Access.scope (every list) and visible_tasks (the task list) leave out a part the user has none of
    (towns, districts, units): each user sees the rows of what they have, and of nothing else."""
    from pingan.access import Access
    from workflows.selectors import visible_tasks

    tasks = RectificationTask.objects.all()
    assert Access(people["town"]).district_ids == [] and Access(people["district"]).town_ids == []
    expected = {
        "town": {"一镇"},  # its town alone
        "district": {"一镇", "二街道"},  # its district's towns, not 乙区's
        "traffic_dept": {"三镇"},  # the one task its unit owns
        "outsider": set(),  # nothing at all: no row
    }
    for role, towns in expected.items():
        access = Access(people[role])
        by_scope = {task.case.town.name for task in access.scope(tasks, town="case__town", units="owner")}
        by_selector = {task.case.town.name for task in visible_tasks(access, tasks)}
        assert by_scope == by_selector == towns, role


SCOPED_ROLES = ["town", "police", "district", "other_town", "traffic_dept", "outsider", "both"]


def _user_of(people, role: str):
    """The role's user; "both": a member of 三镇's government (乙区) and of 甲区's, towns and districts apart."""
    if role != "both":
        return people[role]
    user = people["town"]
    Unit.objects.get(name="一镇人民政府").members.remove(user)
    Unit.objects.get(name="三镇人民政府").members.add(user)
    Unit.objects.get(name="甲区人民政府").members.add(user)
    return user


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_the_area_subquery_in_sql_is_the_orms(second_district, people, role):
    """A town official's task list reads the cases of their area by a subquery written in SQL
    (workflows.selectors.area_cases): the very cases the ORM's `access.area("town")` selects, for every
    kind of user with an area or none."""
    from pingan.access import Access
    from workflows.selectors import area_cases

    access = Access(_user_of(people, role))
    by_orm = set(Case.objects.filter(access.area("town")).values_list("town__name", flat=True))
    by_sql = set(Case.objects.filter(id__any_of=area_cases(access)).values_list("town__name", flat=True))
    expected = {
        "town": {"一镇"},
        "police": {"一镇"},
        "district": {"一镇", "二街道"},
        "other_town": {"二街道"},
        "both": {"一镇", "二街道", "三镇"},
    }
    assert by_sql == by_orm == expected.get(role, set())


def test_a_list_reads_a_copy_of_its_page_columns_scoped_to_each_user(varied_tasks, client_for):
    """The task and case pages' `.values()` are built once (pingan.page_columns.PageColumns); each request scopes
    and filters its own copy, and the one built is never run."""
    everyone = client_for("office").get("/api/v1/tasks/").json()
    theirs = client_for("town").get("/api/v1/tasks/").json()
    again = client_for("office").get("/api/v1/tasks/?state=verified").json()
    cases = client_for("town").get("/api/v1/cases/").json()
    assert everyone["count"] == 4 and 0 < theirs["count"] < 4 and again["count"] == 1
    assert {row["town_name"] for row in theirs["results"]} == {row["town_name"] for row in cases["results"]} == {"一镇"}
    assert TASK_PAGE.rows() is not TASK_PAGE.rows()
    for built in (TASK_PAGE, CASE_PAGE):
        assert built._values._result_cache is None and not built._values.query.where


@pytest.mark.parametrize("ordering, tiebreak", [("-created_at", '"id" DESC'), ("created_at", '"id" ASC')])
def test_rows_equal_in_the_ordering_asked_for_keep_one_order_across_pages(varied_tasks, client_for, ordering, tiebreak):
    RectificationTask.objects.update(created_at=datetime.datetime(2026, 11, 2, 8, tzinfo=datetime.UTC))  # one import
    client = client_for("office")
    with mock.patch.object(BoundedPagination, "page_size", 1), CaptureQueriesContext(connection) as queries:
        pages = [client.get(f"/api/v1/tasks/?ordering={ordering}&page={n}").json() for n in (1, 2, 3, 4)]
    ids = [page["results"][0]["id"] for page in pages]
    assert ids == sorted(RectificationTask.objects.values_list("id", flat=True), reverse=ordering.startswith("-"))
    first_page = next(q["sql"] for q in queries.captured_queries if q["sql"].endswith(" LIMIT 2"))
    assert first_page.endswith(f', "workflows_rectificationtask".{tiebreak} LIMIT 2')  # after created_at


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_a_scoped_users_page_read_through_the_compiled_statement_is_the_orms(
    second_district, varied_tasks, people, role
):
    """A user who is not city-wide has their task page read by a statement the ORM compiled once
    (ScopedRows): every slice of it is the rows, in order, keys and values (dates, times, booleans as
    the ORM converts them) that visible_tasks reads through the ORM, and the rows of the generic scope."""
    from pingan.access import Access
    from workflows.selectors import task_scope, visible_tasks

    access = Access(_user_of(people, role))
    read = TASK_PAGE.reader(task_scope(access))
    by_orm = list(visible_tasks(access, TASK_PAGE.rows()))
    generic = access.scope(RectificationTask.objects.all(), town="case__town", units="owner")
    assert {row["id"] for row in by_orm} == set(generic.values_list("id", flat=True))
    assert (role == "outsider") == (not by_orm)
    for start, stop in [(0, 21), (0, 1), (1, 3), (2, 40)]:
        assert read.rows(start, stop) == by_orm[start:stop], (start, stop)
    assert [row["id"] for row in read.queryset()] == [row["id"] for row in by_orm]
    for row in read.rows(0, 40):
        assert type(row["deadline"]) is datetime.date and type(row["created_at"]) is datetime.datetime
        assert type(row["has_attachments"]) is bool and row["created_at"].tzinfo is not None


def test_a_feed_and_an_office_of_some_cities_have_no_scope_in_sql(people, feed_user, other_office):
    """Their lists are the generic scope's, through the ORM (tests/api/test_cities.py: another city's
    office sees none of this city's tasks)."""
    from pingan.access import Access
    from workflows.selectors import task_scope

    assert task_scope(Access(feed_user)) is None
    for office in (people["office"], other_office):  # two cities: each office sees one
        assert Access(office).cities is not None and task_scope(Access(office)) is None


def test_an_office_of_every_city_sees_every_task_through_the_compiled_statement(varied_tasks, people):
    from pingan.access import Access
    from workflows.selectors import task_scope

    access = Access(people["office"])
    assert access.cities is None and task_scope(access).sql == "1 = 1"
    read = TASK_PAGE.reader(task_scope(access))
    assert (
        read.rows(0, 50) == list(TASK_PAGE.rows()[:50]) and len(read.rows(0, 50)) == RectificationTask.objects.count()
    )


def test_a_scoped_users_pages_are_the_same_read_either_way(second_district, varied_tasks, client_for):
    """`?ordering=deadline` asks for the list's own order, so its pages go through the ORM; without it
    they are read by the compiled statement. Page by page, the same rows, links and count."""
    from pingan.page_columns import ScopedRows

    client = client_for("district")
    count = client.get("/api/v1/tasks/").json()["count"]
    assert count >= 3
    pages = range(1, count + 1)
    with mock.patch.object(BoundedPagination, "page_size", 1):
        with mock.patch.object(ScopedRows, "rows", autospec=True, side_effect=ScopedRows.rows) as read:
            compiled = [client.get(f"/api/v1/tasks/?page={n}").json() for n in pages]
            assert read.call_count == count
            by_orm = [client.get(f"/api/v1/tasks/?ordering=deadline&page={n}").json() for n in pages]
            past_the_end = client.get(f"/api/v1/tasks/?page={count + 1}")
            assert read.call_count == count + 1
    assert [page["results"] for page in compiled] == [page["results"] for page in by_orm]
    assert [page["count"] for page in compiled] == [page["count"] for page in by_orm] == [count] * count

    def links(page):
        return bool(page["next"]), bool(page["previous"])

    assert [links(page) for page in compiled] == [links(page) for page in by_orm]
    assert [links(page) for page in compiled] == [(True, False)] + [(True, True)] * (count - 2) + [(False, True)]
    assert past_the_end.status_code == 404


def _compiled_by_the_orm(request) -> tuple[object, list[tuple[object, str]]]:
    """What `request()` answers, and the statements the ORM compiled meanwhile (model, SQL)."""
    from django.db.models.sql.compiler import SQLCompiler

    compiled, original = [], SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        sql, params = original(self, *args, **kwargs)
        compiled.append((self.query.model, sql))
        return sql, params

    with mock.patch.object(SQLCompiler, "as_sql", as_sql):
        return request(), compiled


def test_the_page_statement_is_compiled_once_and_a_count_by_the_orm(second_district, varied_tasks, client_for):
    """After the first look, a scoped user's task page is not compiled by the ORM again; only its count
    is, when the page has a next one."""
    town = client_for("town")
    first = town.get("/api/v1/tasks/").json()
    again, compiled = _compiled_by_the_orm(lambda: town.get("/api/v1/tasks/").json())
    assert again == first and first["count"] > 0 and first["next"] is None
    assert [model for model, _ in compiled if model is RectificationTask] == []

    district = client_for("district")
    with mock.patch.object(BoundedPagination, "page_size", 1):
        district.get("/api/v1/tasks/")
        page, compiled = _compiled_by_the_orm(lambda: district.get("/api/v1/tasks/").json())
    assert page["count"] >= 3 and page["next"]
    (count,) = [sql for model, sql in compiled if model is RectificationTask]
    assert count.endswith(f"LIMIT {BoundedPagination.count_limit + 1}")


def test_a_scope_goes_between_the_parameters_before_and_after_it(varied_tasks):
    """The scope's parameters are placed after those of the columns (a literal `%s`, written `%%s` in raw
    SQL, counted as none) and before those of the order."""
    from django.db.models import CharField, IntegerField

    from pingan.page_columns import PageColumns, VendorSQL, condition
    from workflows.api import TASK_COLUMNS

    has_night = VendorSQL("strpos(title, %s)", ["夜"], IntegerField(), sqlite="instr(title, %s)")
    page = PageColumns(
        lambda: RectificationTask.objects.order_by(has_night.desc(), "id"),
        TASK_PAGE._rows,
        **TASK_COLUMNS,
        share=VendorSQL("SELECT '100%%s' || %s", ["!"], CharField()),
    )
    scope = condition('"workflows_rectificationtask"."state" <> %s', ["verified"])
    rows = page.reader(scope).rows(0, 10)
    assert rows == list(page.rows().filter(scope)[:10])
    assert len(rows) >= 3 and rows[0]["title"] == "夜巡" and "清查" not in [row["title"] for row in rows]
    assert {row["share"] for row in rows} == {"100%s!"}
