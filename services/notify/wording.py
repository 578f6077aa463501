"""What an applicant reads: one Jinja2 template per status and language, a partner's own merged over
the defaults, rendered from a plain context.

A template is a file `templates/<language>/<status>.txt`: its first line is the subject, the rest
(after one blank line) the plain-text body. The HTML part is the body's paragraphs in
`templates/layout.html`, unless a partner gives its own HTML. So adding a status is adding its
two files (and its sample context in `samples.py`, which is also what a partner's template must
render against before it is accepted).

Templates run in Jinja2's immutable sandbox: a partner's template can read the context and call
the filters below, nothing else. Text parts are not escaped (they are plain text); HTML parts are
autoescaped. Every name a template uses must exist (`StrictUndefined`): the context of a status
always carries every key of its sample, `None` where the event did not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("zh", "en")
PARTS = ("subject", "text", "html")
MAX_SUBJECT = 200


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class TemplateRefused(ValueError):
    """A template that does not compile or does not render against its status's sample context."""

    def __init__(self, part: str, message: str):
        super().__init__(f"{part}: {message}")
        self.part, self.message = part, message


def money(value: Any) -> str:
    """ "4000000" or Decimal("4000000.00") → "4,000,000.00"; anything else as it is."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def day_zh(value: Any) -> str:
    d = _as_date(value)
    return f"{d.year}年{d.month}月{d.day}日" if d else str(value)


def day_en(value: Any) -> str:
    d = _as_date(value)
    return f"{d.day} {d:%B %Y}" if d else str(value)


def moment_zh(value: Any) -> str:
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" + (f"（UTC{_offset(t)}）" if t.tzinfo else "")


def moment_en(value: Any) -> str:
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{t.day} {t:%B %Y}, {t:%H:%M}" + (f" (UTC{_offset(t)})" if t.tzinfo else "")


def _offset(t: datetime) -> str:
    z = f"{t:%z}"
    return f"{z[:3]}:{z[3:5]}"


class _Defaults(BaseLoader):
    """The bundled files, for `{% include %}` from any template (a partner's too)."""

    def __init__(self):
        self._files = FileSystemLoader(str(TEMPLATES))

    def get_source(self, environment, template):
        return self._files.get_source(environment, template)


def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=_Defaults(),
        # The bundled files never change while we run: no stat of each one on every include.
        auto_reload=False,
        undefined=StrictUndefined,
        autoescape=html,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, day_zh=day_zh, day_en=day_en, moment_zh=moment_zh, moment_en=moment_en)
    return env


TEXT, HTML = _environment(html=False), _environment(html=True)


def statuses() -> tuple[str, ...]:
    """Every status with a default template in every language."""
    names = [{p.stem for p in (TEMPLATES / lang).glob("*.txt") if not p.stem.startswith("_")} for lang in LANGUAGES]
    return tuple(sorted(set.intersection(*names)))


@cache
def default(status: str, language: str) -> dict[str, str]:
    """The bundled template as its parts' sources: subject, text (and html: the layout)."""
    path = TEMPLATES / language / f"{status}.txt"
    if language not in LANGUAGES or not path.is_file():
        raise TemplateNotFound(f"{language}/{status}.txt")
    subject, _, text = path.read_text(encoding="utf-8").partition("\n\n")
    return {"subject": subject.strip(), "text": text, "html": (TEMPLATES / "layout.html").read_text(encoding="utf-8")}


@cache
def _compiled(part: str, source: str):
    return (HTML if part == "html" else TEXT).from_string(source)


def render(
    status: str, language: str, context: dict[str, Any], override: dict[str, str | None] | None = None
) -> Rendered:
    """The message for `status` in `language`: the partner's parts where it gave them, ours elsewhere.

    The HTML part gets the context plus `text` (the rendered body) and `paragraphs` (it split on
    blank lines), so a layout can wrap the body without repeating it."""
    sources = default(status, language) | {k: v for k, v in (override or {}).items() if v}
    subject = subject_line(status, language, context, sources["subject"])
    text = _compiled("text", sources["text"]).render(context).strip() + "\n"
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = _compiled("html", sources["html"]).render(
        context | {"text": text, "paragraphs": paragraphs, "subject": subject, "language": language}
    )
    return Rendered(subject, text, html)


def subject_line(status: str, language: str, context: dict[str, Any], source: str | None = None) -> str:
    """The subject alone (from `source` if given, else ours): all a notification record needs, at a
    fraction of the cost of the whole message."""
    subject = _compiled("subject", source or default(status, language)["subject"]).render(context)
    return " ".join(subject.split())[:MAX_SUBJECT]  # one line, whatever the template did


def check(status: str, language: str, parts: dict[str, str | None], sample: dict[str, Any]) -> Rendered:
    """A partner's template parts, rendered against the status's sample context; TemplateRefused
    naming the part if one does not compile, uses what the context lacks, or breaks the sandbox."""
    for part, source in parts.items():
        if not source:
            continue
        try:
            _compiled(part, source)
        except TemplateSyntaxError as e:
            raise TemplateRefused(part, f"line {e.lineno}: {e.message}") from None
    for part in PARTS:  # render each part alone, so that the refusal names the one at fault
        if not parts.get(part):
            continue
        try:
            render(status, language, sample, {part: parts[part]})
        except UndefinedError as e:
            raise TemplateRefused(part, f"{e.message} (not in the context of {status})") from None
        except SecurityError as e:
            raise TemplateRefused(part, f"not allowed: {e}") from None
        except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as e:
            raise TemplateRefused(part, f"does not render: {type(e).__name__}: {e}") from None
    return render(status, language, sample, parts)
