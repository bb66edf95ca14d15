"""Policy texts: safe Markdown rendering, the sections (§, Abs.) rules cite, and the
readable difference between two versions."""

import difflib
import re
from dataclasses import dataclass, field

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "abbr", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "ol": {"start"}}
HEADING = re.compile(r"<(/?)h([1-6])\b")


def render_markdown(text: str) -> str:
    """Markdown → HTML that is safe to embed: raw HTML in the text is escaped by the
    sanitizer, links are limited to http(s) and mail, and headings move one level
    down (the page's own h1 is the version title)."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    html = HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", html)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 – sanitized by nh3 just above


SECTION_HEADING = re.compile(r"^#{1,6}\s+(§\s*\d+[a-z]?|Art\.\s*\d+[a-z]?|\d+(?:\.\d+)*\.?)\s+(.+?)\s*#*\s*$")
ANY_HEADING = re.compile(r"^#{1,6}\s+")
PARAGRAPH = re.compile(r"^\((\d+[a-z]?)\)\s+")


@dataclass
class ParsedSection:
    number: str
    heading: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


def normalise_number(raw: str) -> str:
    raw = raw.strip().rstrip(".")
    if raw.startswith("§"):
        return "§ " + raw[1:].strip()
    if raw.startswith("Art."):
        return "Art. " + raw[4:].strip()
    return raw


def parse_sections(body: str) -> list[ParsedSection]:
    """Numbered headings ("## § 3 Ausschlussgründe", "## 2.1 Ziele") start sections;
    within one, lines starting with "(1)", "(2)" … start its paragraphs ("§ 3 Abs. 2").
    Raises ValidationError for a number used twice."""
    sections: list[ParsedSection] = []
    current: ParsedSection | None = None
    paragraph: ParsedSection | None = None
    for line in (body or "").splitlines():
        heading = SECTION_HEADING.match(line)
        if heading:
            current = ParsedSection(normalise_number(heading.group(1)), heading.group(2).strip())
            paragraph = None
            sections.append(current)
            continue
        if ANY_HEADING.match(line):  # an unnumbered heading ends the numbered section
            current = paragraph = None
            continue
        if current is None:
            continue
        current.lines.append(line)
        match = PARAGRAPH.match(line)
        if match:
            paragraph = ParsedSection(f"{current.number} Abs. {match.group(1)}", current.heading)
            sections.append(paragraph)
        if paragraph is not None:
            paragraph.lines.append(line)
    seen = set()
    for section in sections:
        if section.number in seen:
            raise ValidationError(
                {"body": _("Der Abschnitt „%(number)s“ kommt zweimal vor.") % {"number": section.number}}
            )
        seen.add(section.number)
    return sections


# ---------------------------------------------------------------------------
# Differences


@dataclass
class DiffRow:
    kind: str  # "equal", "insert", "delete", "change", "skip"
    old_number: int | None = None
    new_number: int | None = None
    old: list = field(default_factory=list)  # [(changed: bool, text)]
    new: list = field(default_factory=list)
    skipped: int = 0


def _segments(old: str, new: str) -> tuple[list, list]:
    """Word-level changes within a changed line."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    old_parts, new_parts = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if i2 > i1:
            old_parts.append((tag != "equal", "".join(a[i1:i2])))
        if j2 > j1:
            new_parts.append((tag != "equal", "".join(b[j1:j2])))
    return old_parts, new_parts


def diff_lines(old_text: str, new_text: str, *, context: int = 2) -> list[DiffRow]:
    old_lines, new_lines = (old_text or "").splitlines(), (new_text or "").splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            length = i2 - i1
            if length > 2 * context + 1:
                keep_head = context if rows else 0
                keep_tail = context if i2 < len(old_lines) else 0
                for k in range(keep_head):
                    rows.append(DiffRow("equal", i1 + k + 1, j1 + k + 1, [(False, old_lines[i1 + k])]))
                rows.append(DiffRow("skip", skipped=length - keep_head - keep_tail))
                for k in range(length - keep_tail, length):
                    rows.append(DiffRow("equal", i1 + k + 1, j1 + k + 1, [(False, old_lines[i1 + k])]))
            else:
                for k in range(length):
                    rows.append(DiffRow("equal", i1 + k + 1, j1 + k + 1, [(False, old_lines[i1 + k])]))
        elif tag == "replace" and (i2 - i1) == (j2 - j1):
            for k in range(i2 - i1):
                old_parts, new_parts = _segments(old_lines[i1 + k], new_lines[j1 + k])
                rows.append(DiffRow("change", i1 + k + 1, j1 + k + 1, old_parts, new_parts))
        else:
            for k in range(i1, i2):
                rows.append(DiffRow("delete", old_number=k + 1, old=[(True, old_lines[k])]))
            for k in range(j1, j2):
                rows.append(DiffRow("insert", new_number=k + 1, new=[(True, new_lines[k])]))
    return rows


@dataclass
class RuleChange:
    code: str
    kind: str  # "added", "removed", "changed"
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)


def rule_fields(rule_version) -> dict[str, str]:
    return {
        _("Titel"): rule_version.title,
        _("Abschnitt"): rule_version.section.number,
        _("Bedingung"): rule_version.describe_condition(),
        _("Wirkung"): rule_version.get_effect_display(),
        _("Ausschlussgrund"): rule_version.ground or "–",
        _("Alternative"): rule_version.get_alternative_display() or "–",
        _("Prüfung durch"): rule_version.get_review_roles_display() or "–",
        _("Auflagen"): rule_version.conditions_text or "–",
        _("Wiedervorlage (Monate)"): str(rule_version.rereview_months or "–"),
    }


def diff_rules(old_rules, new_rules) -> list[RuleChange]:
    old_by_code = {rv.rule.code: rv for rv in old_rules}
    new_by_code = {rv.rule.code: rv for rv in new_rules}
    changes = []
    for code in sorted(old_by_code.keys() | new_by_code.keys()):
        if code not in old_by_code:
            changes.append(RuleChange(code, "added"))
        elif code not in new_by_code:
            changes.append(RuleChange(code, "removed"))
        else:
            before, after = rule_fields(old_by_code[code]), rule_fields(new_by_code[code])
            changed = [(label, before[label], after[label]) for label in after if before[label] != after[label]]
            if changed:
                changes.append(RuleChange(code, "changed", changed))
    return changes
