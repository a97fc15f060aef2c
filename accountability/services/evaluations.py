"""Computing a period's evaluations, set-based, and moving them through review to publication.

Recomputing is idempotent: unchanged results write nothing. An evaluation under review, approved
or published is leadership's: a recomputation that would change it is refused, with the reason.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.errors import DomainError
from pingan.models import City, DailyIndex, Unit
from workflows.models import RectificationTask, TransitionLog
from workflows.services.transitions import Outcome, perform

from .. import evaluation_rules as rules
from ..models import AccountabilityRecord, Evaluation, EvaluationScheme, ManualAdjustment

EVALUATED_KINDS = [Unit.Kind.TOWN_GOVERNMENT, Unit.Kind.POLICE_STATION]
DECIDED = [AccountabilityRecord.State.APPROVED, AccountabilityRecord.State.EXECUTED]
STORED_FIELDS = ("score", "rank", "group_size", "vetoed", "recommendation", "components")


@dataclass
class EvaluationReport:
    period: rules.Period
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)


def scheme_in_force(city: City, day: datetime.date) -> EvaluationScheme:
    scheme = (
        EvaluationScheme.objects.filter(Q(city=city) | Q(city__isnull=True), effective_from__lte=day)
        .order_by(F("city").desc(nulls_last=True), "-effective_from", "-version")
        .first()
    )
    if scheme is None:
        raise DomainError(_("no evaluation scheme is in force on %(day)s") % {"day": day})
    return scheme


def compute_evaluations(period: rules.Period, *, city: City | None = None) -> list[EvaluationReport]:
    """Draft and compute every evaluated unit's evaluation for the period, city by city."""
    cities = [city] if city is not None else list(City.objects.all())
    return [_compute_city(period, c) for c in cities]


def _facts(period: rules.Period, units: list[Unit]) -> dict[int, rules.UnitFacts]:
    facts = {u.id: rules.UnitFacts() for u in units}
    by_town = defaultdict(list)
    for u in units:
        by_town[u.town_id].append(u.id)
    for index_id, town_id, day, score, level in (
        DailyIndex.objects.current()
        .towns()
        .filter(town_id__in=by_town, date__range=(period.start, period.end))
        .order_by("date")
        .values_list("id", "town_id", "date", "score", "level")
    ):
        for unit_id in by_town[town_id]:
            facts[unit_id].days.append((day, score, level, index_id))
    for task_id, owner_id, title, deadline, state, submitted_at in (
        RectificationTask.objects.filter(owner_id__in=facts, deadline__range=(period.start, period.end))
        .exclude(state=RectificationTask.State.CANCELLED)
        .order_by("deadline", "id")
        .values_list("id", "owner_id", "title", "deadline", "state", "submitted_at")
    ):
        on_time = (
            state in (RectificationTask.State.SUBMITTED, RectificationTask.State.VERIFIED)
            and submitted_at is not None
            and timezone.localdate(submitted_at) <= deadline
        )
        facts[owner_id].tasks.append((task_id, title, deadline, on_time))
    start = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min))
    for record_id, unit_id, measure in (
        AccountabilityRecord.objects.filter(
            target_unit_id__in=facts, state__in=DECIDED, decided_at__gte=start, decided_at__lt=end
        )
        .order_by("id")
        .values_list("id", "target_unit_id", "measure")
    ):
        facts[unit_id].records.append((record_id, measure))
    for adjustment_id, unit_id, points, finding in (
        ManualAdjustment.objects.filter(unit_id__in=facts, date__range=(period.start, period.end))
        .order_by("date", "id")
        .values_list("id", "unit_id", "points", "finding")
    ):
        facts[unit_id].adjustments.append((adjustment_id, points, finding))
    return facts


def _compute_city(period: rules.Period, city: City) -> EvaluationReport:
    report = EvaluationReport(period)
    scheme = scheme_in_force(city, period.start)
    deductions = rules.parse_weights(scheme.measure_deductions)
    units = list(Unit.objects.filter(city=city, kind__in=EVALUATED_KINDS, town__isnull=False).select_related("town"))
    facts = _facts(period, units)
    results = {}
    for unit in units:
        weights = rules.parse_weights(scheme.group_weights.get(unit.town.kind, {}))
        results[unit.id] = rules.evaluate(facts[unit.id], weights, deductions, scheme.veto_cap)

    with transaction.atomic():
        # One computation per city at a time (two beat schedulers, a redelivered job): the rows to
        # lock may not exist yet, so lock the city; the second then finds the first's evaluations.
        City.objects.select_for_update().filter(pk=city.pk).first()
        existing = {
            e.unit_id: e
            for e in Evaluation.objects.select_for_update().filter(
                unit__in=units, period_kind=period.kind, period_start=period.start
            )
        }
        # Locked evaluations keep their score in the ranking; the others take the new one.
        scores = {
            u.id: existing[u.id].score
            if u.id in existing and existing[u.id].state in Evaluation.LOCKED_STATES
            else results[u.id].score
            for u in units
        }
        groups = defaultdict(list)
        for u in units:
            groups[(u.kind, u.town.kind)].append(u.id)
        ranks, sizes = {}, {}
        for members in groups.values():
            ranks.update(rules.competition_ranks({uid: scores[uid] for uid in members}))
            sizes.update({uid: len(members) for uid in members})

        new_rows, logs, now = [], [], timezone.now()
        for unit in units:
            result = results[unit.id]
            values = {
                "score": result.score,
                "rank": ranks[unit.id],
                "group_size": sizes[unit.id],
                "vetoed": result.vetoed,
                "recommendation": rules.recommendation(
                    ranks[unit.id], sizes[unit.id], result.vetoed, scheme.commend_top, scheme.penalize_bottom
                ),
                "components": result.components,
            }
            current = existing.get(unit.id)
            if current is None:
                new_rows.append(
                    Evaluation(
                        unit=unit,
                        scheme=scheme,
                        period=period.label,
                        period_kind=period.kind,
                        period_start=period.start,
                        period_end=period.end,
                        group=unit.town.kind,
                        state=Evaluation.State.COMPUTED,
                        computed_at=now,
                        **values,
                    )
                )
                continue
            if all(_same(getattr(current, k), v) for k, v in values.items()) and current.scheme_id == scheme.id:
                report.unchanged += 1
                continue
            if current.state in Evaluation.LOCKED_STATES:
                report.refused.append(
                    _(
                        "%(unit)s %(period)s is %(state)s: a recomputation would change it (score %(old)s → %(new)s, "
                        "rank %(old_rank)s → %(new_rank)s); send it back from review before recomputing"
                    )
                    % {
                        "unit": unit.name,
                        "period": period.label,
                        "state": current.get_state_display(),
                        "old": current.score,
                        "new": values["score"],
                        "old_rank": current.rank,
                        "new_rank": values["rank"],
                    }
                )
                continue
            Evaluation.objects.filter(pk=current.pk).update(
                state=Evaluation.State.COMPUTED, scheme=scheme, computed_at=now, group=unit.town.kind, **values
            )
            logs.append(_log(current.pk, current.state, now))
            report.updated += 1
        created = Evaluation.objects.bulk_create(new_rows)
        logs += [_log(e.pk, "", now) for e in created]
        TransitionLog.objects.bulk_create(logs)
        report.created = len(created)
    return report


def _log(evaluation_id: int, source: str, now) -> TransitionLog:
    return TransitionLog(
        subject="evaluation",
        subject_id=evaluation_id,
        transition="compute",
        source=source,
        target=Evaluation.State.COMPUTED,
        at=now,
    )


def _same(stored, new) -> bool:
    if isinstance(new, Decimal) and stored is not None:
        return Decimal(stored) == new
    return stored == new


def evaluation_submit_for_review(*, evaluation_id: int, user, comment: str = "") -> Outcome:
    """The office puts a computed evaluation before leadership."""
    return perform(Evaluation, evaluation_id, "submit_for_review", user=user, comment=comment)


def evaluation_send_back(*, evaluation_id: int, user, reason: str) -> Outcome:
    """Leadership sends an evaluation back to the office, with a reason; it may then be recomputed."""
    if not reason.strip():
        raise DomainError(_("a reason is required to send an evaluation back"))
    return perform(Evaluation, evaluation_id, "send_back", user=user, comment=reason)


def evaluation_approve(*, evaluation_id: int, user, comment: str = "") -> Outcome:
    """Leadership approves an evaluation."""
    return perform(Evaluation, evaluation_id, "approve", user=user, comment=comment)


def evaluation_publish(*, evaluation_id: int, user, comment: str = "") -> Outcome:
    """An approved evaluation is published."""
    return perform(Evaluation, evaluation_id, "publish", user=user, comment=comment)
