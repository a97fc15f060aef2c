from django import template

from pingan.models import GRADE_CHOICES, LEVEL_CHOICES

register = template.Library()
GRADE_LABELS = dict(GRADE_CHOICES)
LEVEL_LABELS = dict(LEVEL_CHOICES)


@register.simple_tag
def item_grade(index, code: str) -> str:
    """The translated grade of one indicator on a DailyIndex row."""
    grade = index.grade(code)
    return GRADE_LABELS.get(grade, grade)


@register.simple_tag
def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level)
