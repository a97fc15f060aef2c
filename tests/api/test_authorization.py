"""The authorization matrix: every role × every endpoint × its own object and a foreign one.

Town A is 一镇, town B is 二街道, both in district 甲区. "Own" means A for everyone but other_town,
whose own town is B. Scoping happens in the queryset, so a foreign object is 404, not 403.
"""

import pytest

RESOURCES = ["cases", "tasks", "extensions", "transition-logs", "notices", "accountability-records", "evaluations"]

# role → what it sees of (town A, town B) on every resource above, unless overridden
SEES = {
    "office": (200, 200),
    "leader": (200, 200),
    "district": (200, 200),  # its district holds both towns
    "town": (200, 404),
    "police": (200, 404),
    "other_town": (404, 200),
    "feed": (403, 403),  # a data feed reads nothing of the workflow
    None: (401, 401),  # anonymous
}
# The traffic department owns both cases (traffic drove the colour) but no task, record or evaluation.
SEES_TRAFFIC = {
    "cases": (200, 200),
    "transition-logs": (200, 200),
    "notices": (200, 200),
    "tasks": (404, 404),
    "extensions": (404, 404),
    "accountability-records": (404, 404),
    "evaluations": (404, 404),
}


def expected(role, resource):
    if role == "traffic_dept":
        return SEES_TRAFFIC[resource]
    return SEES[role]


ROLES = list(SEES) + ["traffic_dept"]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_detail_of_own_and_foreign_objects(world, client_for, role, resource):
    client = client_for(role)
    got = tuple(
        client.get(f"/api/v1/{resource}/{world[town][resource].pk}/").status_code for town in ("一镇", "二街道")
    )
    assert got == expected(role, resource)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_lists_show_exactly_what_the_detail_shows(world, client_for, role, resource):
    response = client_for(role).get(f"/api/v1/{resource}/", {"page_size": 500})
    a, b = expected(role, resource)
    if a in (401, 403):
        assert response.status_code == a
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert (world["一镇"][resource].pk in ids, world["二街道"][resource].pk in ids) == (a == 200, b == 200)


# Transitions: (role, endpoint on town A's object, body) → status. Visible but not allowed is 403;
# not visible is 404; not possible in the object's state is 409.
TRANSITIONS = [
    ("police", "tasks", "accept", {}, 200),
    ("town", "tasks", "accept", {}, 403),  # the town sees the task, but it is the station's
    ("other_town", "tasks", "accept", {}, 404),
    ("office", "tasks", "accept", {}, 403),
    ("feed", "tasks", "accept", {}, 403),
    (None, "tasks", "accept", {}, 401),
    ("office", "tasks", "verify", {}, 409),  # not submitted yet
    ("office", "cases", "start-supervision", {}, 409),  # no... it has a task: allowed below
    ("town", "cases", "cancel", {"reason": "x"}, 403),
    ("other_town", "cases", "cancel", {"reason": "x"}, 404),
    ("office", "cases", "cancel", {}, 400),  # the reason is required
    ("office", "cases", "cancel", {"reason": "数据更正"}, 200),
    ("police", "extensions", "approve", {}, 403),
    ("office", "extensions", "approve", {}, 200),
    ("office", "accountability-records", "approve", {}, 403),
    ("leader", "accountability-records", "approve", {}, 200),
    ("town", "accountability-records", "approve", {}, 403),
    ("office", "evaluations", "submit-for-review", {}, 200),
    ("leader", "evaluations", "submit-for-review", {}, 403),
    ("leader", "evaluations", "approve", {}, 409),  # not under review
]


@pytest.mark.parametrize("role, resource, name, body, status", TRANSITIONS)
def test_transitions_answer_with_the_exact_status(world, client_for, role, resource, name, body, status):
    if (resource, name) == ("cases", "start-supervision"):
        status = 200  # the case has its task: supervision may start
    response = client_for(role).post(f"/api/v1/{resource}/{world['一镇'][resource].pk}/{name}/", body, format="json")
    assert response.status_code == status, response.content
    if status >= 400:
        assert response.json()["detail"]


def test_refusals_say_why_in_json(world, client_for):
    response = client_for("office").post(
        f"/api/v1/tasks/{world['一镇']['tasks'].pk}/verify/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "cannot verify: the rectification task is assigned (create by office at 2026-11-10 10:00)",
        "code": "conflict",
    }
    missing = client_for("office").post(
        f"/api/v1/cases/{world['一镇']['cases'].pk}/cancel/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert missing.status_code == 400
    assert missing.json() == {
        "detail": "reason: This field is required.",
        "code": "invalid",
        "fields": {"reason": ["This field is required."]},
    }


def test_refusals_speak_chinese_when_asked(world, client_for):
    response = client_for("office").post(
        f"/api/v1/tasks/{world['一镇']['tasks'].pk}/verify/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 409 and response.json()["detail"].startswith("无法核实")


def test_the_published_index_is_public(world, client_for):
    response = client_for(None).get("/api/v1/index/", {"date": "2026-11-02"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {(r["scope"], r["town_name"], r["level"]) for r in rows if r["scope"] == "town"} == {
        ("town", "一镇", "red"),
        ("town", "二街道", "red"),
    }


def test_the_inbox_is_ones_own(world, client_for, people):
    mine = client_for("police").get("/api/v1/inbox/").json()["results"]
    assert mine and all(n["id"] in set(people["police"].notifications.values_list("id", flat=True)) for n in mine)
    theirs = people["town"].notifications.first()
    assert client_for("police").get(f"/api/v1/inbox/{theirs.pk}/").status_code == 404
    assert client_for("town").post(f"/api/v1/inbox/{theirs.pk}/read/").status_code == 200


@pytest.mark.parametrize("role, status", [("office", 201), ("town", 403), ("leader", 403), ("feed", 403), (None, 401)])
def test_proposing_accountability_through_the_api(world, client_for, role, status):
    case = world["一镇"]["cases"]
    unit = case.owners.get(role="town_government").unit
    body = {"case": case.pk, "target_unit": unit.pk, "measure": "interview", "grounds": "整改不力"}
    response = client_for(role).post("/api/v1/accountability-records/", body, format="json")
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["origin"] == "office" and response.json()["state"] == "proposed"


def test_the_ranking_export_through_the_api(world, client_for):
    office = client_for("office").get("/api/v1/evaluations/export/", {"period": "2026-11"})
    assert office.status_code == 200 and office["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for("town").get("/api/v1/evaluations/export/", {"period": "2026-11"}).status_code == 403
    assert client_for("office").get("/api/v1/evaluations/export/", {"period": "2026-13"}).status_code == 400
