"""The API's JSON renderer (pingan.renderers) writes the same bytes as DRF's, faster."""

from __future__ import annotations

import datetime
import decimal
import uuid
import zoneinfo
from unittest import mock

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers

from pingan.renderers import JSONRenderer

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

VALUES = {
    "text": '一镇 "quoted" \\ tab\t newline\n <b>&</b> 😀',
    "separators": "line\u2028paragraph\u2029end",
    "numbers": [0, -1, 2**63 - 1, 0.5, 12.75, True, False, None],
    "utc": datetime.datetime(2026, 11, 3, 1, 2, 3, tzinfo=datetime.UTC),
    "utc_micro": datetime.datetime(2026, 11, 3, 1, 2, 3, 120, tzinfo=datetime.UTC),
    "shanghai": datetime.datetime(2026, 11, 3, 9, 2, 3, 500000, tzinfo=SHANGHAI),
    "naive": datetime.datetime(2026, 11, 3, 1, 2, 3),
    "date": datetime.date(2026, 11, 3),
    "time": datetime.time(8, 30, 0, 5),
    "duration": datetime.timedelta(days=1, seconds=5),
    "decimal": decimal.Decimal("87.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Supervision board"),
    "tuple": (1, "二"),
    "set": {3},
    "generator": (n for n in range(2)),
    "nested": {"a": [{"b": {"c": []}}], "empty": {}},
    7: "an integer key",
}


def drf(data, media_type="application/json", context=None) -> bytes:
    return renderers.JSONRenderer().render(data, media_type, context or {})


def ours(data, media_type="application/json", context=None) -> bytes:
    return JSONRenderer().render(data, media_type, context or {})


def fresh() -> dict:
    """The values again: a generator is read once."""
    return {**VALUES, "generator": (n for n in range(2))}


def test_it_writes_the_same_bytes_as_drf():
    written = ours(fresh())
    assert written == drf(fresh())
    assert b"\\u2028" in written and b"\\u2029" in written and "一镇".encode() in written
    assert b'"2026-11-03T01:02:03Z"' in written  # UTC with a Z, as DRF writes it


def test_it_writes_with_orjson_not_with_drfs_json_dumps():
    with mock.patch("rest_framework.renderers.json.dumps", side_effect=AssertionError("DRF's path")):
        assert ours({"a": [1, "二"]}) == b'{"a":[1,"\xe4\xba\x8c"]}'


@pytest.mark.parametrize(
    "media_type, context", [("application/json; indent=4", {}), ("application/json", {"indent": 2})]
)
def test_indented_json_is_drfs(media_type, context):
    written = ours(fresh(), media_type, context)
    assert written == drf(fresh(), media_type, context) and b"\n " in written


def test_what_orjson_refuses_is_left_to_drf():
    assert ours({"big": 2**70}) == drf({"big": 2**70}) == b'{"big":1180591620717411303424}'
    with pytest.raises(ValueError, match="timezone-aware"):  # DRF's own error
        ours({"time": datetime.time(8, 30, tzinfo=datetime.UTC)})
    with pytest.raises(TypeError):
        ours({"object": object()})


def test_no_data_is_no_body():
    assert ours(None) == drf(None) == b""


def test_an_api_answer_goes_through_it(client_for, world):
    with mock.patch("rest_framework.renderers.json.dumps", side_effect=AssertionError("DRF's path")):
        response = client_for("office").get("/api/v1/cases/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["results"]
