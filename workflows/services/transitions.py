"""Running one state-machine transition the way every service does.

In this order: atomic transaction → lock the row → permission → guards → transition → save →
append the log row → chained writes → after commit, the follow-up work. A request that finds the
object already where the same user's same request put it returns without writing (a retry);
anyone else gets a refusal that names the state and who moved it there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from pingan.models import Town

from .. import kept
from ..errors import ConcurrentChange, NotPermitted, TransitionRefused
from ..labels import action_label
from ..models import Case, RectificationTask, TransitionLog


@dataclass
class Outcome:
    obj: models.Model
    log: TransitionLog | None  # None: nothing changed (the same request, repeated)


def state_field_name(obj: models.Model) -> str:
    return "stage" if isinstance(obj, Case) else "state"


def perform(
    model: type[models.Model],
    pk: int,
    name: str,
    *,
    user,
    comment: str = "",
    system: bool = False,
    before: Callable[[models.Model], None] | None = None,
    after: Callable[[models.Model], None] | None = None,
    on_commit: Callable[[models.Model], None] | None = None,
) -> Outcome:
    """Apply transition `name` to row `pk` of `model` as `user` (or as the system, unchecked).

    `before` sets on the locked row the fields a guard reads (a report, a reason); `after` runs
    inside the transaction after the save (chained domain writes); `on_commit` runs once the
    transaction has committed (notifications, enqueued jobs).
    """
    with transaction.atomic():
        obj = model.objects.select_for_update().get(pk=pk)
        field = state_field_name(obj)
        source = getattr(obj, field)
        method = getattr(obj, name)
        found = method._django_fsm.get_transition(source)
        if found is None:
            if _last_log(obj, transition=name, actor=user) is not None:
                return Outcome(obj, None)
            raise TransitionRefused(_state_refusal(obj, name, field, source))
        if not system and not found.has_perm(obj, user):
            raise NotPermitted(_("you may not %(action)s this %(what)s") % _words(obj, name))
        if before is not None:
            before(obj)
        failed = [str(getattr(c, "message", c.__name__)) for c in found.conditions or [] if not c(obj)]
        if failed:
            raise TransitionRefused(
                _("cannot %(action)s: %(why)s") % {"action": action_label(name), "why": "; ".join(failed)}
            )
        method()
        try:
            obj.save()
        except ConcurrentTransition as exc:
            raise ConcurrentChange(
                _("this %(what)s was changed by someone else at the same moment; reload and try again")
                % _words(obj, name)
            ) from exc
        log = write_log(obj, name, source, getattr(obj, field), user=user, comment=comment)
        if after is not None:
            after(obj)
        if on_commit is not None:
            transaction.on_commit(lambda: on_commit(obj))
    return Outcome(obj, log)


def write_log(obj, name: str, source: str, target: str, *, user, comment: str = "") -> TransitionLog:
    """Append who moved `obj` from `source` to `target`, and why."""
    case, task = _anchors(obj)
    row = TransitionLog.objects.create(
        case=case,
        task=task,
        city_id=None if case is None else city_of(case),
        subject=obj._meta.model_name,
        subject_id=obj.pk,
        actor=user if user is not None and user.is_authenticated else None,
        transition=name,
        source=source,
        target=target,
        comment=comment,
    )
    kept.wrote(row.actor_id)  # their next look shows it (workflows/kept.py)
    return row


def city_of(case: Case) -> int:
    """The city of a case's town (the town's district's), from the instances if loaded, else one query."""
    town = case._state.fields_cache.get("town")
    if town is not None and "district" in town._state.fields_cache:
        return town.district.city_id
    return Town.objects.values_list("district__city_id", flat=True).get(pk=case.town_id)


def _anchors(obj) -> tuple[Case | None, RectificationTask | None]:
    """The case and task a log row is filed under (an evaluation has neither)."""
    if isinstance(obj, Case):
        return obj, None
    if isinstance(obj, RectificationTask):
        return obj.case, obj
    task = getattr(obj, "task", None)
    if task is not None:
        return task.case, task
    return getattr(obj, "case", None), None


def _last_log(obj, *, transition: str | None = None, actor=None) -> TransitionLog | None:
    last = TransitionLog.objects.filter(subject=obj._meta.model_name, subject_id=obj.pk).order_by("-at", "-id").first()
    if last is None or transition is None:
        return last
    same_actor = actor is not None and last.actor_id == getattr(actor, "pk", None)
    return last if last.transition == transition and same_actor else None


def _state_refusal(obj, name: str, field: str, source: str) -> str:
    state = dict(obj._meta.get_field(field).flatchoices).get(source, source)
    message = _("cannot %(action)s: the %(what)s is %(state)s") % {**_words(obj, name), "state": state}
    last = _last_log(obj)
    if last is not None:
        message += _(" (%(action)s by %(who)s at %(at)s)") % {
            "action": action_label(last.transition),
            "who": last.actor.get_username() if last.actor else _("the system"),
            "at": f"{timezone.localtime(last.at):%Y-%m-%d %H:%M}",
        }
    return message


def _words(obj, name: str) -> dict:
    return {"action": action_label(name), "what": str(obj._meta.verbose_name)}
