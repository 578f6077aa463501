"""Command-line evaluation: JSON applications in, one JSON decision per line out.

The CLI keeps no records, so every application is decided against an empty history.
"""

import json
from typing import TextIO

from .book import PolicyBook
from .errors import InvalidApplication


def evaluate_main(book: PolicyBook, stream_in: TextIO, stream_out: TextIO, stream_err: TextIO) -> int:
    """Read one application object or an array of them; 0 if all were decided, 2 on any bad input."""
    try:
        # Default float parsing on purpose: a JSON float is then refused as money (wrong_type).
        payload = json.loads(stream_in.read())
    except json.JSONDecodeError as exc:
        print(f"input is not valid JSON: {exc}", file=stream_err)
        return 2
    items = payload if isinstance(payload, list) else [payload]
    status = 0
    for index, item in enumerate(items):
        try:
            app = book.parse(item)
        except InvalidApplication as bad:
            status = 2
            for err in bad.errors:
                print(
                    f"application {index}: {err.field}: {err.code}: {err.message_en} / {err.message_zh}",
                    file=stream_err,
                )
            continue
        print(json.dumps(book.evaluate(app).to_json(), ensure_ascii=False), file=stream_out)
    return status
