"""Every string of the product has its Chinese translation, and the compiled catalogue is current."""

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def field(block: str, name: str) -> str | None:
    """A field's text, its continuation lines joined."""
    match = re.search(rf'^{name} ((?:"(?:[^"\\]|\\.)*"\n?)+)', block, re.M)
    if match is None:
        return None
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1)))


def entries():
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        msgid = field(block, "msgid")
        if msgid:
            yield msgid, field(block, "msgstr") or field(block, r"msgstr\[0\]") or "", block


def test_no_string_is_left_untranslated_or_fuzzy():
    missing = [msgid for msgid, msgstr, block in entries() if not msgstr or "#, fuzzy" in block]
    assert missing == []


def test_the_compiled_catalogue_matches_the_sources():
    with translation.override("zh-hans"):
        for msgid, msgstr, block in entries():
            if "msgid_plural" in block:
                continue  # checked through the pages that use it
            unescaped = msgid.replace('\\"', '"').replace("\\n", "\n")
            assert translation.gettext(unescaped) == msgstr.replace('\\"', '"').replace("\\n", "\n"), msgid
