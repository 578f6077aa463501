"""Policy versions loaded from the bundled TOML files, and the book that picks the one in force."""

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .application import ApplicationBase, ApplicationParser, example
from .clause import ClauseRule, DoubleClaimGroup, PolicyDataError, VersionParams
from .decision import EMPTY_HISTORY, Decision, History, HistoryScope, Reason, Step
from .facts import fact_type
from .matching import Matches, MatchParser, MatchRequest, NoPolicyInForce, match
from .money import ZERO

VERSIONS_DIR = Path(__file__).parent / "versions"


@dataclass(frozen=True)
class PolicyVersion:
    id: str
    title_zh: str
    title_en: str
    first_day: dt.date
    last_day: dt.date  # inclusive
    content_hash: str  # sha256 of the file's bytes
    data: Mapping[str, Any]  # the parsed file (as tomllib gives it), for the catalogue
    rules: Mapping[str, ClauseRule]

    def in_force(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day


def read_version(path: Path) -> PolicyVersion:
    return parse_version(Path(path).read_bytes(), str(path))


def parse_version(raw: bytes, origin: str) -> PolicyVersion:
    """A version from a file's bytes, or a version's text published at run time (`origin` names it in
    errors; the content hash is the sha256 of exactly these bytes); PolicyDataError if refused."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        params = VersionParams(
            data["id"],
            hashlib.sha256(raw).hexdigest(),
            data["first_day"],
            data["last_day"],
            data["window_article"],
            data["tier_mode"],
            data["double_claim"],
            data["notice_working_days"],
        )
        if params.double_claim not in ("allowed", "no_double"):
            raise PolicyDataError(f"unknown double_claim {params.double_claim!r}")
        for clause in data["clauses"]:
            for fact, type_name in clause["facts"].items():
                try:
                    fact_type(type_name, data.get("enums", {}))
                except KeyError:
                    raise PolicyDataError(
                        f"clause {clause['id']!r}: fact {fact!r} has unknown type {type_name!r}"
                    ) from None
        groups: dict[str, DoubleClaimGroup] = {}
        for group in data.get("double_claim_groups", []):
            for clause in group["clauses"]:
                groups[clause] = DoubleClaimGroup(frozenset(group["clauses"]) - {clause}, group["key"])
        rules = {c["id"]: ClauseRule(c, params, groups.get(c["id"])) for c in data["clauses"]}
        if not params.first_day <= params.last_day:
            raise PolicyDataError("first_day is after last_day")
        return PolicyVersion(
            data["id"],
            data["title_zh"],
            data["title_en"],
            params.first_day,
            params.last_day,
            params.content_hash,
            data,
            rules,
        )
    except KeyError as exc:
        raise PolicyDataError(f"{origin}: missing key {exc}") from exc
    except (ValueError, tomllib.TOMLDecodeError) as exc:  # PolicyDataError is a ValueError too
        raise PolicyDataError(f"{origin}: {exc}") from exc


class PolicyBook:
    """Every loaded version; each application is decided under the version in force on its occurred_on.

    Where windows overlap (a renewal published before the old one lapses), the version that
    started later wins.
    """

    def __init__(self, versions: Iterable[PolicyVersion]):
        self.versions = sorted(versions, key=lambda v: v.first_day)
        if not self.versions:
            raise PolicyDataError("no policy version to load")
        starts = [v.first_day for v in self.versions]
        ids = [v.id for v in self.versions]
        if len(set(starts)) != len(starts) or len(set(ids)) != len(ids):
            raise PolicyDataError(f"two versions share an id or a first day: {ids}")
        self._newest_first = self.versions[::-1]
        declared = self._declared_facts()
        self.parser = ApplicationParser(*declared)
        self.match_parser = MatchParser(*declared)
        self.examples = self._examples()

    @classmethod
    def from_files(cls, paths: Iterable[Path | str]) -> "PolicyBook":
        return cls(read_version(Path(p)) for p in paths)

    @property
    def latest(self) -> PolicyVersion:
        return self.versions[-1]

    def version_on(self, day: dt.date) -> PolicyVersion | None:
        for version in self._newest_first:
            if version.in_force(day):
                return version
        return None

    def parse(self, obj: object) -> ApplicationBase:
        return self.parser.parse(obj)

    def parse_match(self, obj: object) -> MatchRequest:
        return self.match_parser.parse(obj)

    def match(self, request: MatchRequest) -> Matches:
        """Every clause of the version in force on `request.as_of`, judged on the facts known
        (`matching.py`); NoPolicyInForce if none is."""
        version = self.version_on(request.as_of)
        if version is None:
            raise NoPolicyInForce(request.as_of, [(v.id, v.first_day, v.last_day) for v in self.versions])
        return match(version, request)

    def history_scope(self, app: ApplicationBase) -> HistoryScope:
        """The earlier grants the decision on `app` can depend on (none outside every window)."""
        version = self.version_on(app.occurred_on)
        rule = version.rules.get(app.clause) if version else None
        return rule.history_scope(app.facts.__dict__, app.occurred_on) if rule else HistoryScope(frozenset())

    def evaluate(self, app: ApplicationBase, history: History = EMPTY_HISTORY) -> Decision:
        # A validated model's __dict__ is the plain fact mapping: no pydantic work while deciding.
        return self.decide(app.clause, app.applicant.kind, app.occurred_on, app.facts.__dict__, history)

    def decide(
        self,
        clause: str,
        applicant_kind: str,
        occurred_on: dt.date,
        facts: Mapping[str, object],
        history: History = EMPTY_HISTORY,
    ) -> Decision:
        """Decide from already-validated values (what `evaluate` does after parsing)."""
        version = self.version_on(occurred_on)
        if version is None:
            return self._out_of_window(clause, occurred_on)
        rule = version.rules.get(clause)
        if rule is None:
            return Decision(
                clause,
                "ineligible",
                ZERO,
                (
                    Reason(
                        "clause",
                        f"clause {clause} is not part of {version.id}, in force on {occurred_on}",
                        f"{occurred_on} 施行的 {version.id} 不含条款 {clause}",
                    ),
                ),
                (),
                (),
                version.id,
                version.content_hash,
                None,
                occurred_on,
            )
        return rule.decide(applicant_kind, occurred_on, facts, history)

    def _out_of_window(self, clause: str, day: dt.date) -> Decision:
        windows_en = "; ".join(f"{v.id} is in force {v.first_day} – {v.last_day}" for v in self.versions)
        windows_zh = "；".join(
            f"{v.id} 施行期为 {v.first_day} 至 {v.last_day}（{v.data['window_wording_zh']}）" for v in self.versions
        )
        reason = Reason(
            "occurred_on",
            f"occurred_on {day} is outside every policy window: {windows_en}",
            f"发生日期 {day} 不在政策施行期内：{windows_zh}",
        )
        step = Step(
            f"no policy version in force on {day}", f"{day} 无施行中的政策版本", self.latest.data["window_article"]
        )
        return Decision(clause, "ineligible", ZERO, (reason,), (step,), (), None, None, None, day)

    def _declared_facts(self) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
        """Clause -> declared facts across versions; a clause must mean the same facts in each."""
        clause_facts: dict[str, dict[str, str]] = {}
        enums: dict[str, list[str]] = {}
        for version in self.versions:
            for name, values in version.data.get("enums", {}).items():
                if enums.setdefault(name, values) != values:
                    raise PolicyDataError(f"enum {name!r} differs between versions")
            for cid, rule in version.rules.items():
                if clause_facts.setdefault(cid, rule.facts) != rule.facts:
                    raise PolicyDataError(f"clause {cid!r} declares different facts in {version.id}")
        return clause_facts, enums

    def _examples(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for version in self._newest_first:
            for clause in version.data["clauses"]:
                if "example" in clause and clause["id"] not in found:
                    ex = clause["example"]
                    found[clause["id"]] = example(
                        clause["id"], clause["applicant_kinds"][0], ex["occurred_on"], ex["facts"]
                    )
        return found


def load_policies(extra_paths: Iterable[Path | str] = ()) -> PolicyBook:
    """Every bundled version (shared/policy/versions/*.toml), plus any extra files given."""
    return PolicyBook.from_files([*sorted(VERSIONS_DIR.glob("*.toml")), *extra_paths])
