"""Knowledge base of well-known tech entities: identity and type only, never facts.

The KB lets the entity ruler recognise names that the small English model mislabels
("PyTorch" as PERSON, "Meta AI" as PERSON) and gives linked entities a Wikidata id.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent.parent / "ontology"
DEFAULT_KB = ONTOLOGY_DIR / "kb.json"


#: Legal forms that end a company's name without being part of what it is called.
LEGAL_FORM = re.compile(r"(?:\s+(?:inc|incorporated|corp|corporation|ltd|limited|llc|l\.l\.c|plc|gmbh|co)\.?)+$")


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """Key for comparing names: case-folded, apostrophes unified, possessive, 'the' and a trailing
    legal form dropped.
    Cached, like clean_name: a corpus compares the same names over and over."""
    s = unicodedata.normalize("NFKC", name).casefold().replace("\u2019", "'")
    s = re.sub(r"'s?$", "", s.strip())
    s = re.sub(r"^the\s+", "", s)
    s = re.sub(r"[^\w+#.\- ]", " ", s)
    s = re.sub(r"\s+", " ", s).strip(" .-")
    stem = LEGAL_FORM.sub("", s).strip(" .-")  # "Fitbit, Inc." and "Fitbit Inc" are Fitbit
    return stem or s



@dataclass(frozen=True)
class KBEntry:
    id: str
    label: str
    type: str
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass
class KnowledgeBase:
    entries: dict[str, KBEntry] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    by_wikipedia: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "KnowledgeBase":
        path = Path(path) if path else DEFAULT_KB
        kb = cls()
        if not path.exists():
            return kb
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("entities", []):
            entry = KBEntry(raw["id"], raw["label"], raw["type"], tuple(raw.get("aliases", [])),
                            raw.get("wikidata"))
            kb.entries[entry.id] = entry
            for name in entry.names:
                kb.by_name.setdefault(normalize_name(name), entry.id)
            kb.by_wikipedia.setdefault(normalize_name(entry.label), entry.id)
        return kb

    def lookup(self, name: str) -> KBEntry | None:
        key = self.by_name.get(normalize_name(name))
        return self.entries[key] if key else None

    def lookup_wikipedia(self, href: str) -> KBEntry | None:
        """A Wikipedia link target ("…/wiki/Yann_LeCun") identifies an entity."""
        title = wikipedia_title(href)
        return self.lookup(title) if title else None

    def ruler_patterns(self) -> list[dict]:
        """EntityRuler phrase patterns; camel-case names also match their Title-case spelling."""
        patterns = []
        for entry in sorted(self.entries.values(), key=lambda e: e.id):
            spellings = set()
            for name in entry.names:
                spellings.add(name)
                if " " not in name and re.search(r"[a-z][A-Z]", name):
                    spellings.add(name[0] + name[1:].lower())
            for s in sorted(spellings):
                patterns.append({"label": entry.type, "pattern": s, "id": entry.id})
        return patterns


def wikipedia_title(href: str) -> str | None:
    m = re.match(r"https?://[a-z\-]+\.(?:m\.)?wikipedia\.org/wiki/([^?#]+)", href or "")
    if not m:
        return None
    from urllib.parse import unquote
    return unquote(m.group(1)).replace("_", " ")


@lru_cache(maxsize=4)
def load_kb(path: str | None = None) -> KnowledgeBase:
    return KnowledgeBase.load(path)


def spells(acronym: str, name: str) -> bool:
    """True when the acronym's letters appear in order in the name, the first at its start
    ("NSB", "Norges Statsbaner"): how a text defines a short form, within a document or across."""
    name = name.casefold()
    if not name or name[0] != acronym[0].casefold():
        return False
    pos = 0
    for ch in acronym.casefold():
        pos = name.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True
