"""Numbered documents: warning and supervision notices, one per key, numbered per city and year."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Case, Notice, NoticeCounter, RectificationTask

BODIES = {
    Notice.Kind.WARNING: (
        "{town}：\n\n经平安指数监测，你镇街{since}以来平安指数为{level}，{reason}。"
        "请立即组织分析研判，落实整改措施，并按期报送整改情况。\n"
    ),
    Notice.Kind.SUPERVISION: (
        "{town}：\n\n{reason}。现予督办，请于收到本通知书后立即整改，并将整改情况书面报送平安办。\n"
    ),
}
LEVEL_WORDS = {"red": "红色（较差）", "orange": "橙色（平稳）"}


def issue_notice(
    case: Case, kind: str, *, key: str, reason: str, user=None, task: RectificationTask | None = None
) -> Notice:
    """Issue the notice identified by `key` unless it exists; numbers have no gaps and never repeat."""
    existing = Notice.objects.filter(key=key).first()
    if existing is not None:
        return existing
    city = case.town.district.city
    year = timezone.localdate().year
    with transaction.atomic():
        # Lock the counter first: it serialises issuers, so the second finds the first's notice.
        NoticeCounter.objects.get_or_create(city=city, kind=kind, year=year)
        counter = NoticeCounter.objects.select_for_update().get(city=city, kind=kind, year=year)
        existing = Notice.objects.filter(key=key).first()
        if existing is not None:
            return existing
        NoticeCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
        counter.refresh_from_db()
        body = BODIES[kind].format(
            town=case.town.name,
            since=f"{case.opened_on:%Y年%m月%d日}",
            level=LEVEL_WORDS.get(case.level, case.level),
            reason=reason,
        )
        return Notice.objects.create(
            city=city,
            case=case,
            task=task,
            kind=kind,
            year=year,
            number=counter.last,
            key=key,
            reason=reason,
            body=body,
            issued_by=user if user is not None and user.is_authenticated else None,
        )


def reserve_numbers(kind: str, year: int, counts: dict[int, int]) -> dict[int, int]:
    """Reserve consecutive notice numbers for each city, in one statement; returns each city's first.

    The upsert locks each city's counter row until the commit, so concurrent issuers number in turn.
    """
    table = connection.ops.quote_name(NoticeCounter._meta.db_table)
    cities = sorted(counts)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(cities))
    params = [p for city_id in cities for p in (city_id, kind, year, counts[city_id])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (city_id, kind, year, last) VALUES {values} "
            f"ON CONFLICT (city_id, kind, year) DO UPDATE SET last = {table}.last + excluded.last "
            "RETURNING city_id, last",
            params,
        )
        return {city_id: last - counts[city_id] + 1 for city_id, last in cursor.fetchall()}
