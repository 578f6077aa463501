"""The stages live in the shared status vocabulary (`shared/statuses.py`); this name stays only
because the pipeline benchmark (`bench/pipeline.py`) still imports it from here."""

from shared.statuses import STAGE

__all__ = ["STAGE"]
