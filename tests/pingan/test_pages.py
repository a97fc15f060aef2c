"""The public index page and the admin, as a clerk and a resident see them."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from pingan.services.publication import publish_day
from tests.factories import submit_day

DAY = datetime.date(2026, 11, 20)
COUNTS = {("二街道", "crime"): (7, 0), ("三镇", "traffic"): (1, 1)}


@pytest.fixture
def published(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)
    publish_day(DAY).raise_for_problems()
    return city


def test_the_public_page_shows_the_latest_day_in_chinese_without_login(client, published):
    page = client.get("/").content.decode()
    assert "平安指数" in page and "2026-11-20" in page
    assert "二街道" in page and "橙（平稳）" in page and "红（较差）" in page
    assert "甲区" in page


def test_the_public_page_says_when_nothing_is_published(client, db):
    assert "尚未发布" in client.get("/").content.decode()


def test_the_admin_shows_the_days_colours(admin_client, published):
    page = admin_client.get(reverse("admin:pingan_dailyindex_changelist") + "?date__day=20").content.decode()
    assert "background:#f07c00" in page and "background:#d4380d" in page  # orange and red badges
    assert "每日指数" in page


def test_every_admin_page_of_the_index_domain_opens(admin_client, published):
    for model in admin.site._registry:
        if model._meta.app_label != "pingan":
            continue
        info = (model._meta.app_label, model._meta.model_name)
        assert admin_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200, info


def test_a_used_policy_is_read_only_in_the_admin(admin_client, published):
    from pingan.models import IndexPolicy

    policy = IndexPolicy.objects.get(name="zhuhai-2014")
    page = admin_client.get(reverse("admin:pingan_indexpolicy_change", args=[policy.pk])).content.decode()
    assert 'name="weights"' not in page  # shown, not editable
    assert "_saveasnew" in page or "保存为新的" in page


def test_pages_speak_chinese_even_to_an_english_browser_until_english_is_chosen(client, published):
    assert "平安指数" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Ping'an index" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
