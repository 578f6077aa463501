"""Free text an application carries: subject identifiers and the applicant's name.

An identifier (`node_id`, `project_id`, `chain_id` …) is the key one-time rules are decided on, so
two spellings of one node must be one key: `SN-001`, `ｓｎ－００１` and ` sn-001 ` all become
`sn-001`. The application as sent keeps the partner's spelling for display; the engine sees the key.

Neither an identifier nor a name may carry control characters (they corrupt notices and logs, and
PostgreSQL text cannot hold NUL) or bidirectional controls, which make text display in another
order than it is stored ("Trojan Source"). Identifiers also refuse every other invisible format
character (zero-width spaces and joiners, soft hyphens, BOMs …): in a key, an invisible character
would make a second node that prints exactly like the first.
"""

import unicodedata

from pydantic_core import PydanticCustomError

IDENTIFIER_MAX = 64  # characters, once normalised
IDENTIFIER_RAW_MAX = IDENTIFIER_MAX  # as sent too, as the document says: NFKC can lengthen text

# Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), and the implicit marks that
# steer the same algorithm (LRM U+200E, RLM U+200F, ALM U+061C).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

# The same set as a JSON Schema character class (C0, DEL, C1 and the bidi controls), for the
# OpenAPI document; the validators below are what enforce it.
NO_CONTROLS_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"


def is_control(c: str) -> bool:
    """C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F): Unicode category Cc."""
    return unicodedata.category(c) == "Cc"


def _name_of(c: str) -> str:
    return f"U+{ord(c):04X}" + (f" ({unicodedata.name(c)})" if unicodedata.name(c, "") else "")


def refuse_controls(value: str, *, invisible_too: bool = False) -> str:
    """`value` unchanged, or a field error naming the first forbidden character and where it is."""
    for position, c in enumerate(value, start=1):
        if is_control(c) or c in BIDI_CONTROLS or (invisible_too and unicodedata.category(c) == "Cf"):
            kind = (
                "a control character"
                if is_control(c)
                else "a bidirectional control character"
                if c in BIDI_CONTROLS
                else "an invisible format character"
            )
            raise PydanticCustomError(
                "invalid_character",
                "contains {character} at position {position}, {kind}: not allowed here",
                {"character": _name_of(c), "position": position, "kind": kind},
            )
    return value


def identifier_key(text: str) -> str:
    """The form an identifier is compared and stored in: Unicode NFKC, case-folded, trimmed, inner
    whitespace collapsed to one space. Idempotent: identifier_key(identifier_key(x)) == identifier_key(x)."""
    # Case folding can undo NFKC (e.g. U+0345 folds to ι, U+1E9E to ss…), so normalise around it.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def parse_identifier(value: object) -> str:
    """A subject identifier as the policy compares it, or a field error saying what is wrong."""
    if not isinstance(value, str):
        raise PydanticCustomError("wrong_type", "must be a string, not {kind}", {"kind": type(value).__name__})
    if len(value) > IDENTIFIER_RAW_MAX:
        raise PydanticCustomError(
            "invalid_format", "must be at most {limit} characters as sent", {"limit": IDENTIFIER_RAW_MAX}
        )
    refuse_controls(value, invisible_too=True)
    key = identifier_key(value)
    if not key:
        raise PydanticCustomError("empty_identifier", "is empty once spaces are removed")
    if len(key) > IDENTIFIER_MAX:
        raise PydanticCustomError("invalid_format", "must be at most {limit} characters", {"limit": IDENTIFIER_MAX})
    return key
