"""The web pages as each role sees them: Chinese by default, buttons only where they may press them."""

import datetime

import pytest
from django.urls import reverse

from accountability.models import Evaluation
from pingan.models import Town
from workflows.models import Case, RectificationTask


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def test_a_resident_reads_the_days_index_and_a_towns_history(client, world):
    page = client.get("/").content.decode()
    assert "2026-11-02 平安指数" in page and "一镇" in page and "红（较差）" in page
    assert "拨打110" in page  # a red town driven by crime gets the crime tip
    town = Town.objects.get(name="一镇")
    history = client.get(reverse("town-history", args=[town.pk]) + "?days=90").content.decode()
    assert "最近 90 天" in history and "vendor/echarts/echarts.min.js" in history


def test_pages_need_a_login_and_the_login_page_speaks_chinese(client, db):
    response = client.get("/my/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "登录" in client.get("/login/").content.decode()


def test_the_town_sees_its_cases_and_may_acknowledge(login, world, people):
    page = login(people["town"]).get("/my/").content.decode()
    assert "一镇" in page and "二街道" not in page
    # the task is the police station's: the town official gets no accept button for it
    assert 'name="accept"' not in page


def test_the_police_station_accepts_and_submits_its_task(login, world, people):
    client = login(people["police"])
    task = world["一镇"]["tasks"]
    page = client.get("/my/").content.decode()
    assert 'name="accept"' in page and "个工作日" in page
    client.post(reverse("act", args=["task", task.pk, "accept"]), {"next": "/my/"})
    assert RectificationTask.objects.get(pk=task.pk).state == "accepted"
    client.post(reverse("submit-task", args=[task.pk]), {"report": "已增派巡逻", "next": "/my/"})
    assert RectificationTask.objects.get(pk=task.pk).state == "submitted"


def test_a_button_pressed_without_the_right_does_nothing(login, world, people):
    client = login(people["town"])
    task = world["一镇"]["tasks"]
    response = client.post(reverse("act", args=["task", task.pk, "accept"]), {"next": "/my/"}, follow=True)
    assert "你无权" in response.content.decode()
    assert RectificationTask.objects.get(pk=task.pk).state == "assigned"
    other = world["二街道"]["tasks"]
    assert client.post(reverse("act", args=["task", other.pk, "accept"])).status_code == 404


def test_the_board_is_the_offices(login, world, people):
    page = login(people["office"]).get("/board/").content.decode()
    for stage in ("动员", "研判", "预警", "督办", "问责"):
        assert stage in page
    assert "测平安预〔2026〕1号" in page
    board = page[page.index("<main") :]  # every form of the board sends the CSRF token and comes back
    forms = board.count("<form ")
    assert forms and board.count('name="csrfmiddlewaretoken"') == board.count('name="next" value="/board/"') == forms
    assert board.count('<option value="interview">约谈') == board.count('<select name="measure">') > 0
    forbidden = login(people["town"]).get("/board/")
    assert forbidden.status_code == 403 and "不适用于你的角色" in forbidden.content.decode()


def test_the_office_verifies_from_the_board_and_the_case_moves_on(login, world, people, publish):
    task = world["一镇"]["tasks"]
    police = login(people["police"])
    police.post(reverse("act", args=["task", task.pk, "accept"]))
    police.post(reverse("submit-task", args=[task.pk]), {"report": "已增派巡逻"})
    office = login(people["office"])
    case = world["一镇"]["cases"]
    office.post(reverse("act", args=["case", case.pk, "start_supervision"]))
    office.post(reverse("act", args=["task", task.pk, "verify"]))
    assert RectificationTask.objects.get(pk=task.pk).state == "verified"
    for n in range(3, 6):
        publish(datetime.date(2026, 11, n), {})
    office.post(reverse("act", args=["case", case.pk, "close"]))
    assert Case.objects.get(pk=case.pk).stage == "closed"


def test_leadership_opens_the_ranking_and_approves(login, world, people):
    office = login(people["office"])
    ids = [str(e.pk) for e in Evaluation.objects.all()]
    office.post(reverse("evaluation-act", args=["submit_for_review"]), {"evaluation": ids, "period": "2026-11"})
    leader = login(people["leader"])
    page = leader.get("/evaluations/?period=2026-11").content.decode()
    assert "一镇人民政府" in page and "排名" in page and 'name="approve"' in page
    leader.post(reverse("evaluation-act", args=["approve"]), {"evaluation": ids, "period": "2026-11"})
    assert set(Evaluation.objects.values_list("state", flat=True)) == {"approved"}
    detail = leader.get(reverse("evaluation-page", args=[Evaluation.objects.first().pk])).content.decode()
    assert "各项数据来源" in detail
    assert login(people["town"]).get("/evaluations/").status_code == 403


def test_the_dashboard_shows_levels_stages_and_overdue_work(login, world, people):
    page = login(people["district"]).get("/dashboard/").content.decode()
    assert "一镇" in page and "二街道" in page and "预警" in page and "trend-data" in page


@pytest.mark.parametrize(("role", "cases"), [("district", 2), ("town", 1), ("office", 2)])
def test_the_dashboard_counts_each_visible_case_once(login, world, people, role, cases):
    import re

    from django.utils import translation

    stage = Case.objects.get(town__name="一镇").stage
    assert Case.objects.filter(stage=stage).count() == 2
    with translation.override("zh-hans"):
        label = str(Case.Stage(stage).label)
    page = login(people[role]).get("/dashboard/").content.decode()
    assert re.search(rf">{label}</div><div[^>]*>(\d+)<", page).group(1) == str(cases)


def test_english_is_available_and_complete_on_the_pages(client, login, world, people):
    client = login(people["office"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    for url in ("/", "/board/", "/my/", "/dashboard/", "/evaluations/?period=2026-11"):
        page = client.get(url).content.decode()
        assert 'lang="en"' in page, url
        assert "Supervision board" in page


PAGES = ["/", "/board/", "/my/", "/dashboard/", "/evaluations/?period=2026-11", "/login/"]


def catalogue():
    from tests.test_translations import entries

    return [(msgid, msgstr) for msgid, msgstr, block in entries() if "msgid_plural" not in block and "%" not in msgid]


def visible_text(html: str) -> str:
    import re

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "\n", html)


@pytest.mark.parametrize("url", PAGES)
def test_no_english_is_left_on_the_chinese_pages(login, world, people, url):
    text = visible_text(login(people["office"]).get(url).content.decode())
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    leftovers = [msgid for msgid, _ in catalogue() if " " in msgid and msgid in lines]
    assert leftovers == []


@pytest.mark.parametrize("url", PAGES)
def test_no_chinese_label_is_left_on_the_english_pages(login, world, people, url):
    client = login(people["office"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = visible_text(client.get(url).content.decode())
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    leftovers = [msgstr for _, msgstr in catalogue() if len(msgstr) >= 3 and msgstr in lines]
    assert leftovers == []


def test_the_office_proposes_accountability_from_the_board_and_a_town_cannot(login, world, people):
    from accountability.models import AccountabilityRecord

    case = world["一镇"]["cases"]
    unit = case.owners.get(role="town_government").unit
    body = {"unit": unit.pk, "measure": "interview", "grounds": "整改不力", "next": "/board/"}
    before = AccountabilityRecord.objects.count()
    refused = login(people["town"]).post(reverse("board-propose", args=[case.pk]), body, follow=True)
    assert "只有平安办可以提出问责建议" in refused.content.decode()
    assert AccountabilityRecord.objects.count() == before
    login(people["office"]).post(reverse("board-propose", args=[case.pk]), body)
    assert AccountabilityRecord.objects.filter(case=case, grounds="整改不力", target_unit=unit).exists()


def test_the_navigation_offers_only_what_the_role_may_open(login, world, people):
    town = login(people["town"]).get("/my/").content.decode()
    assert "/board/" not in town and "/evaluations/" not in town and "/dashboard/" in town
    office = login(people["office"]).get("/my/").content.decode()
    assert "/board/" in office and "/evaluations/" in office


def board_anew(client) -> str:
    """The board rendered now: these tests change how it is drawn (its limits), which its cache key,
    made of the data's state, rightly does not hold."""
    from django.core.cache import cache

    cache.clear()
    return client.get("/board/").content.decode()


def test_the_board_shows_the_first_of_each_list_with_its_total_and_a_link_to_all(login, world, people):
    from unittest import mock

    from workflows.models import Case

    stage = Case.objects.get(town__name="一镇").stage
    assert Case.objects.filter(stage=stage).count() == 2  # both towns' cases wait in the same stage
    with mock.patch("workflows.views.BOARD_LIMIT", 1):
        page = board_anew(login(people["office"]))
    column = page.split(f'data-stage="{stage}"')[1].split('<div class="column"')[0]
    assert column.count("data-case=") == 1
    assert f"/admin/workflows/case/?stage__exact={stage}" in column
    with mock.patch("workflows.views.BOARD_LIMIT", 2):
        page = board_anew(login(people["office"]))
    column = page.split(f'data-stage="{stage}"')[1].split('<div class="column"')[0]
    assert column.count("data-case=") == 2 and "stage__exact" not in column


def test_the_board_says_more_than_the_count_limit_instead_of_counting_on(login, world, people):
    from unittest import mock

    RectificationTask.objects.update(deadline=datetime.date(2026, 11, 3))  # both towns' tasks overdue
    with mock.patch("workflows.views.BOARD_LIMIT", 1), mock.patch("workflows.views.COUNT_LIMIT", 1):
        page = board_anew(login(people["office"]))
    overdue = page.split("逾期任务")[1]
    assert overdue.count('class="item overdue"') == 1 and "1+" in overdue
    with mock.patch("workflows.views.BOARD_LIMIT", 1):
        page = board_anew(login(people["office"]))
    assert "1+" not in page.split("逾期任务")[1]


def test_a_board_column_says_more_than_the_count_limit_too(login, world, people):
    from unittest import mock

    stage = Case.objects.get(town__name="一镇").stage
    assert Case.objects.filter(stage=stage).count() == 2

    def heading(page: str) -> str:
        return page.split(f'data-stage="{stage}"')[1].split("</h2>")[0]

    with mock.patch("workflows.views.BOARD_LIMIT", 1):
        with mock.patch("workflows.views.COUNT_LIMIT", 1):
            capped = heading(board_anew(login(people["office"])))
        counted = heading(board_anew(login(people["office"])))
    shown_all = heading(board_anew(login(people["office"])))
    assert ">1+<" in capped and ">2<" in counted and ">2<" in shown_all


def test_a_dashboard_of_many_towns_shows_districts_each_opening_its_towns(login, world, people):
    from unittest import mock

    from pingan.models import District

    district = District.objects.get(name="甲区")
    client = login(people["office"])
    with mock.patch("workflows.views.FEW_TOWNS", 1):
        page = client.get("/dashboard/").content.decode()
        towns = client.get(f"/dashboard/?district={district.pk}").content.decode()
        assert client.get("/dashboard/?district=999999").status_code == 404
        assert client.get("/dashboard/?district=abc").status_code == 404
    assert f'href="?district={district.pk}"' in page and "一镇" not in page.split("trend-data")[0]
    assert "一镇" in towns and "二街道" in towns and "甲区" in towns
    assert "一镇" in client.get("/dashboard/").content.decode()  # a city of few towns lists them at once
