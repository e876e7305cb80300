"""Invented training stories: the shapes of funding, deal, executive, founder, product and
subsidiary news, filled with invented names (templates and word lists in synthetic.json).

The real annotated passages hold few funding rounds and deals (about a hundred investors, a few
dozen acquisitions): too few for a model to learn "led by", "with participation from", "agreed
to buy" or "walked away from" from. These stories add the shapes, with the facts each sentence
states and the tempting non-facts (announced deals, future roles, board seats) as negatives. They
are training data only: never scored, never a reason to tune.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from .datasets import GOLD_FILE_LABELS, Argument, Example, GoldFact, _names

TEMPLATES = Path(__file__).with_name("synthetic.json")
STORY_WEIGHTS = {"funding": 0.3, "deal": 0.25, "people": 0.2, "founding": 0.1, "product": 0.1, "structure": 0.05}
SEED = 7


def _unique(rng: random.Random, make, taken: set[str], nested: bool = False) -> str:
    """A new name that is not another's part ("Vantix" beside "Vantix Labs"), unless ``nested``."""
    for _ in range(100):
        name = make()
        if name not in taken and (nested or not any(name in t or t in name for t in taken)):
            taken.add(name)
            return name
    raise RuntimeError("word lists too small for a story")


def _cast(rng: random.Random, words: dict) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Names for every slot of a story, all different; and each name's other forms (a surname)."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}

    def company() -> str:
        suffix = rng.choice(words["company_suffixes"])
        return f"{rng.choice(words['company_stems'])} {suffix}".strip()

    def investor() -> str:
        return f"{rng.choice(words['investor_stems'])} {rng.choice(words['investor_suffixes'])}"

    def person() -> str:
        return f"{rng.choice(words['first_names'])} {rng.choice(words['last_names'])}"

    def product() -> str:
        return f"{rng.choice(words['product_stems'])} {rng.choice(words['product_suffixes'])}".strip()

    for slot in ("C", "C2", "C3", "A", "T2", "T3"):
        names[slot] = _unique(rng, company, taken)
    names["T"] = names["C"]
    for slot in ("I1", "I2", "I3"):
        names[slot] = _unique(rng, investor, taken)
    for slot in ("P1", "P2", "P3"):
        names[slot] = _unique(rng, person, taken)
        names["PS" + slot[1]] = names[slot].split()[-1]
        aliases[slot] = [names["PS" + slot[1]]]
    for slot in ("PR", "PR2"):
        names[slot] = _unique(rng, product, taken)
    stem = names["C"].split()[0]
    names["L"] = _unique(rng, lambda: rng.choice(words["units"]).replace("{STEM}", stem), taken, nested=True)
    desc = rng.choice(words["desc"])
    names.update({
        "DESC": desc, "DESCC": desc[0].upper() + desc[1:], "PDESC": rng.choice(words["pdesc"]),
        "M": rng.choice(words["money"]), "M2": rng.choice(words["money"]), "R": rng.choice(words["rounds"]), "R2": rng.choice(words["rounds"]),
        "Y": str(rng.randint(2004, 2025)), "MO": rng.choice(words["months"]), "DAY": rng.choice(words["days"]),
        "CITY": rng.choice(words["cities"]), "NEWS": rng.choice(words["news"]),
    })
    return names, aliases


def _fill(template: str, names: dict[str, str]) -> str:
    out = template
    for slot in sorted(names, key=len, reverse=True):
        out = out.replace("{" + slot + "}", names[slot])
    return re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", out)


def stories(n: int, seed: int = SEED) -> list[Example]:
    """``n`` invented stories as annotated examples, the same ones for the same seed."""
    data = json.loads(TEMPLATES.read_text(encoding="utf-8"))
    words = data["words"]
    rng = random.Random(seed)
    kinds = sorted(STORY_WEIGHTS)
    out = []
    for i in range(n):
        kind = rng.choices(kinds, weights=[STORY_WEIGHTS[k] for k in kinds])[0]
        pool = data["stories"][kind]
        names, aliases = _cast(rng, words)
        chosen = [rng.choice(pool["lead"])]
        chosen += rng.sample(pool["more"], k=min(len(pool["more"]), rng.randint(1, 3)))
        if pool["not"] and rng.random() < 0.6:
            chosen.append(rng.choice(pool["not"]))
        fillers = [{"t": t} for t in rng.sample(data["filler"], k=rng.randint(0, 2))]
        rest = chosen[1:] + fillers
        rng.shuffle(rest)
        text, facts = "", []
        for tpl in [chosen[0], *rest]:
            sentence = _fill(tpl["t"], names)
            start = len(text)
            text += sentence
            end = len(text)
            text += "\n\n" if tpl.get("h") or rng.random() < 0.3 else " "  # a headline is a line of its own
            for key, negative in (("f", False), ("n", True)):
                for s, p, o in tpl.get(key, ()):
                    facts.append(GoldFact(p, Argument(_names(names[s], *aliases.get(s, []))),
                                          Argument(_names(names[o], *aliases.get(o, []))), (start, end), negative))
        out.append(Example(f"syn_{i:05d}", "synthetic", f"syn_{i:05d}", text.strip() + "\n", facts, GOLD_FILE_LABELS))
    return out
