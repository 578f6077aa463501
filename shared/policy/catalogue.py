"""The clause catalogue served by GET /v1/clauses: what can be claimed and which facts to bring."""

from typing import Any

from .application import PANEL_FACTS
from .book import PolicyBook
from .facts import fact_type


def catalogue(book: PolicyBook, version_id: str | None = None) -> list[dict[str, Any]]:
    """Clauses of one version (default: the book's latest-starting version), as JSON documents."""
    versions = {v.id: v for v in book.versions}
    version = versions[version_id] if version_id else book.latest
    enums = version.data.get("enums", {})
    return [
        {
            "id": c["id"],
            "article": c["article"],
            "title_zh": c["title_zh"],
            "title_en": c["title_en"],
            "summary_zh": c["summary_zh"],
            "summary_en": c["summary_en"],
            "wording_zh": c["wording_zh"],
            "applicant_kinds": list(c["applicant_kinds"]),
            "facts": [
                {
                    "name": name,
                    "type": type_name,
                    "description": fact_type(type_name, enums)[1],
                    "required": name not in PANEL_FACTS,
                }
                for name, type_name in c["facts"].items()
            ],
            "formula": version.rules[c["id"]].formula.describe(),
            "policy_version": version.id,
            "policy_hash": version.content_hash,
        }
        for c in version.data["clauses"]
    ]


def clause_titles(book: PolicyBook) -> dict[str, tuple[str, str]]:
    """Each clause's title in Chinese and English, as the latest version holding it words it."""
    return {c["id"]: (c["title_zh"], c["title_en"]) for v in book.versions for c in v.data["clauses"]}
