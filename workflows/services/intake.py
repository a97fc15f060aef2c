"""From a published day to cases: open a case for each red or orange town, or attach the day to
the town's open case and climb the escalation ladder. Republishing a day changes nothing."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pingan.models import City, DailyIndex, IndexPolicy, Unit

from ..models import Case, CaseDay, CaseOwner
from .escalation import climb_ladder, red_streaks
from .notifications import members_of, notify
from .transitions import write_log

logger = logging.getLogger(__name__)

COLOURED = ("red", "orange")
DRIVING_GRADES = ("poor", "very_poor")


def open_cases_for_day(city: City, day: datetime.date) -> list[Case]:
    """Open or update the cases of a published day's red and orange towns; returns the cases touched."""
    rows = list(
        DailyIndex.objects.current()
        .towns()
        .filter(date=day, district__city=city, level__in=COLOURED)
        .select_related("town", "town__district")
    )
    if not rows:
        return []
    attached = set(
        CaseDay.objects.filter(date=day, town__in=[r.town_id for r in rows]).values_list("town_id", flat=True)
    )
    rows = [r for r in rows if r.town_id not in attached]
    if not rows:
        return []
    policy = IndexPolicy.objects.in_force(city, day)
    streaks = red_streaks([r.town_id for r in rows if r.level == "red"], day)
    open_cases = {
        c.town_id: c for c in Case.objects.filter(town__in=[r.town_id for r in rows], stage__in=Case.OPEN_STAGES)
    }
    departments = _departments_by_indicator(city)
    touched = []
    for row in rows:
        try:
            with transaction.atomic():
                case = open_cases.get(row.town_id)
                if case is None:
                    case = _open_case(row, departments)
                CaseDay.objects.create(case=case, town=row.town, date=day, level=row.level, index=row)
                if row.level == "red":
                    climb_ladder(case, streaks.get(row.town_id, 1), policy, day)
                touched.append(case)
        except IntegrityError:
            # Another publisher attached this town-day at the same moment: it is done.
            logger.info("case day %s %s already attached", row.town, day)
    return touched


def _departments_by_indicator(city: City) -> dict[str, list[Unit]]:
    result: dict[str, list[Unit]] = defaultdict(list)
    for unit in Unit.objects.filter(city=city, kind=Unit.Kind.DEPARTMENT).prefetch_related("indicators"):
        for indicator in unit.indicators.all():
            result[indicator.code].append(unit)
    return result


def driving_indicators(index: DailyIndex) -> list[str]:
    """The indicators whose grade pulled the town into orange or red."""
    return [code for code, item in index.items.items() if item.get("grade") in DRIVING_GRADES]


def _open_case(index: DailyIndex, departments: dict[str, list[Unit]]) -> Case:
    case = Case.objects.create(town=index.town, level=index.level, opened_on=index.date, opening_index=index)
    owners = {}
    for unit in Unit.objects.filter(town=index.town, kind__in=[Unit.Kind.TOWN_GOVERNMENT, Unit.Kind.POLICE_STATION]):
        owners[unit.id] = CaseOwner(case=case, unit=unit, role=unit.kind)
    for code in driving_indicators(index):
        for unit in departments.get(code, []):
            owners.setdefault(unit.id, CaseOwner(case=case, unit=unit, role=CaseOwner.Role.DEPARTMENT))
    CaseOwner.objects.bulk_create(owners.values())
    write_log(
        case, "open", "", case.stage, user=None, comment=_("opened by the index of %(day)s") % {"day": index.date}
    )
    title = _("Case opened: %(town)s was %(level)s on %(day)s") % {
        "town": index.town.name,
        "level": index.get_level_display(),
        "day": index.date,
    }
    notify(
        members_of(o.unit for o in owners.values()),
        kind="case_opened",
        key=f"case:{case.id}:opened",
        title=title,
        body=_("Please acknowledge the case (签收)."),
        case=case,
    )
    return case
