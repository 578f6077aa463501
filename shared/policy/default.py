"""The book of bundled policy versions, loaded once at import, and the API types built from it."""

from typing import Any

from pydantic import TypeAdapter

from .book import PolicyBook, load_policies

DEFAULT_BOOK: PolicyBook = load_policies()

# The discriminated union of every clause's application model (usable as a FastAPI body type).
Application: Any = DEFAULT_BOOK.parser.type
ApplicationAdapter: TypeAdapter = DEFAULT_BOOK.parser.adapter

# One valid wire-shaped application per clause.
EXAMPLES: dict[str, dict] = DEFAULT_BOOK.examples


def parse_application(obj: dict) -> Any:
    """Validate a wire-shaped application; raises InvalidApplication with every FieldError."""
    return DEFAULT_BOOK.parse(obj)
