"""Simplified Chinese is the default language: every message is translated, and the compiled .mo is current.

The .po is read with a tiny parser (no polib, no gettext binaries), so the test runs anywhere.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# What msgfmt --check-format calls a Python directive (so "95% of" holds the directive "% o"), and {} fields.
PYTHON_DIRECTIVE = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
BRACE_FIELD = re.compile(r"\{[^{}]*\}")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def parse_po(path: Path) -> list[Entry]:
    """The live (not obsolete) entries of a .po file, header excluded."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    flags: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                current, target = None, None
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + _unquote(line))
            continue
        if current is None or keyword in ("msgctxt",) or (keyword == "msgid" and current.msgid):
            current = Entry(line=number, flags=flags)
            flags = set()
            entries.append(current)
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            setattr(current, keyword, _unquote(rest))
            target = (keyword, 0)
    return [entry for entry in entries if entry.msgid]


def _signature(text: str, flags: set[str]) -> list[str]:
    directives = PYTHON_DIRECTIVE.findall(text) if "python-format" in flags else []
    return sorted(directives + BRACE_FIELD.findall(text))


def _is_translated(entry: Entry) -> bool:
    return bool(entry.msgstr) and all(entry.msgstr.values()) and "fuzzy" not in entry.flags


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO_FILE)
    assert len(entries) > 100, "the .po file looks empty: run makemessages -l zh_Hans"
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: fuzzy: {entry.msgid!r}")
        elif not _is_translated(entry):
            hint = ""
            if "python-format" in entry.flags and "%" in entry.msgid and "%(" not in entry.msgid:
                hint = (" (a literal % taken for a format directive: put `# xgettext:no-python-format` on the line"
                        " before the string in the source, then run makemessages again)")
            problems.append(f"line {entry.line}: untranslated: {entry.msgid!r}{hint}")
    assert not problems, "zh_Hans messages to translate:\n" + "\n".join(problems)


def test_translations_keep_the_placeholders_of_the_source():
    problems = []
    for entry in parse_po(PO_FILE):
        for index, text in entry.msgstr.items():
            if not text:
                continue
            source = entry.msgid_plural if entry.msgid_plural and index else entry.msgid
            expected = {tuple(_signature(source, entry.flags)),
                        tuple(_signature(entry.msgid_plural or entry.msgid, entry.flags))}
            if tuple(_signature(text, entry.flags)) not in expected:
                problems.append(f"line {entry.line}: {entry.msgid!r} -> {text!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo holds exactly the translated entries of the .po: run compilemessages after editing the .po."""
    expected: dict = {}
    for entry in parse_po(PO_FILE):
        if not _is_translated(entry):
            continue
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
    with MO_FILE.open("rb") as mo:
        catalogue = dict(gettext.GNUTranslations(mo)._catalog)
    catalogue.pop("", None)
    stale = sorted(str(key) for key in expected.keys() ^ catalogue.keys())
    changed = sorted(str(key) for key in expected.keys() & catalogue.keys() if expected[key] != catalogue[key])
    assert not stale and not changed, (
        "django.mo is out of date; run `manage.py compilemessages --ignore=.venv`.\n"
        f"only in one of .po/.mo: {stale[:20]}\ndiffering: {changed[:20]}")


def test_django_answers_in_chinese_by_default():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):
        wrong = [
            entry.msgid for entry in parse_po(PO_FILE)
            if entry.msgctxt is None and entry.msgid_plural is None and _is_translated(entry)
            and translation.gettext(entry.msgid) != entry.msgstr[0]
        ]
    assert not wrong, f"Django does not serve these zh_Hans translations: {wrong[:20]}"
