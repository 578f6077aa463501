"""The bundled policy book, built once for the tests: what every process of the product builds in
its composition root (`shared/bootstrap.py`) when no extra version is given."""

from shared.policy import ApplicationBase, load_policies

BOOK = load_policies()
EXAMPLES: dict[str, dict] = BOOK.examples  # one valid wire-shaped application per clause


def parse_application(obj: object) -> ApplicationBase:
    return BOOK.parse(obj)
