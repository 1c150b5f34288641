"""Report tallies kept up to date when an outcome answer changes (owned by the outcomes report).

``services.save_answer`` calls ``answer_changed`` in the same transaction as the change, so tallies never
drift from the answers. Until the report's own tallies land this module keeps none: the report reads the
answers themselves."""

from typing import Any


def answer_changed(before: dict[str, Any] | None, after: Any) -> None:
    """Report tallies: adjust them for one answer that was created (``before`` is None) or corrected
    (``before`` holds the answer's stored values as they were: ``OutcomeAnswer.snapshot()``); ``after`` is
    the ``OutcomeAnswer`` as saved (flushed). Never commits."""
