"""State diagrams generated from the transitions declared on the models (Mermaid)."""

from __future__ import annotations

from django.db import models


def mermaid(model: type[models.Model], field_name: str) -> str:
    """A Mermaid stateDiagram of one FSM field: every declared transition, labelled by its method."""
    field = model._meta.get_field(field_name)
    lines = ["stateDiagram-v2", f"    [*] --> {field.default}"]
    edges = sorted({(str(t.source), str(t.target), t.name) for t in field.get_all_transitions(model)})
    for source, target, name in edges:
        lines.append(f"    {source} --> {target}: {name}")
    terminal = {str(v) for v, _ in field.choices} - {s for s, _, _ in edges}
    for state in sorted(terminal):
        lines.append(f"    {state} --> [*]")
    return "\n".join(lines)


def state_machines_markdown() -> str:
    from accountability.models import AccountabilityRecord, Evaluation

    from .models import Case, RectificationTask

    parts = [
        "# State machines",
        "",
        "Generated from the code by `python manage.py state_diagrams > docs/STATE_MACHINES.md`;",
        "a test fails when this file and the models disagree.",
    ]
    for title, model, field in (
        ("Case (预警处置案件)", Case, "stage"),
        ("RectificationTask (整改任务)", RectificationTask, "state"),
        ("AccountabilityRecord (问责)", AccountabilityRecord, "state"),
        ("Evaluation (考评)", Evaluation, "state"),
    ):
        parts += ["", f"## {title}", "", "```mermaid", mermaid(model, field), "```"]
    return "\n".join(parts) + "\n"
