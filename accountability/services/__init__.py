"""Services of accountability: records (records.py) and evaluations (evaluations.py)."""

from .records import leadership, record_approve, record_dismiss, record_execute, record_propose

__all__ = ["leadership", "record_approve", "record_dismiss", "record_execute", "record_propose"]
