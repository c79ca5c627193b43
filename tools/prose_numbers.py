"""Every measured number the prose quotes must come from a stored output of the same chapter.

    python tools/prose_numbers.py                     # list every unbacked number, all chapters
    python tools/prose_numbers.py chapters/es/05_pix2pix.md

A number in a chapter's text (markdown cells, the .md source) is *backed* when some number in the
stored text outputs of the same chapter's .ipynb, rounded to the quoted precision, equals it
(0.4683 backs "0.468"; a fraction backs a percentage: 0.468 backs "46.8 %"). Numbers that are not
measurements are exempt by these rules, applied before the search:

* inside math (``$...$``, ``$$...$$``), inline code, a MyST role (``{cite}`...```), a link target,
  a fenced block or a directive's option line;
* the number appears as a literal in a code cell of the chapter (a hyperparameter: "30,000 steps"
  beside ``run.steps(30000)``; a percentage may match a fraction literal);
* chapter numbers written with a leading zero ("chapter 02") and numbers after a word that counts
  the book itself (chapter, exercise, section, ...); the number opening a heading or list item;
* years (1800-2039 as plain integers), image sizes ("28x28", "256 × 256"), numbers glued to a
  word ("pix2pix", "ResNet-9", "bf16", "2nd");
* an entry of ``chapters/prose_numbers.yaml``: per chapter, a number with the reason it is
  exempt (a value a paper reports, a derived count). Each entry must occur in both languages.

Outputs are read after the sanitising rules of ``tests/nbval_sanitize.cfg`` (run times, rates):
a number nbval does not check cannot back the prose either.

The conventions: English writes 266,800 and 0.468; Spanish 266.800 (or 266 800) and 0,468 (or
0.468). Where a Spanish "1.334" could be either, either reading may back it.
"""
from __future__ import annotations

import configparser
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ROOT / "chapters" / "prose_numbers.yaml"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"

# Words after which a number counts the book (or the paper), not a measurement.
COUNTING_WORDS = {
    "en": r"chapters?|sections?|exercises?|solutions?|algorithm|figures?|tables?|equations?|parts?|issue|seed|step",
    "es": r"cap[ií]tulos?|secci[oó]n|secciones|ejercicios?|soluci[oó]n|algoritmo|figuras?|tablas?|ecuaci[oó]n|partes?|semilla|paso",
}
SPACES = " \u00a0\u202f\u2009"  # the Spanish thousands separator may be a (narrow, no-break) space

# Spans removed from the text before numbers are read; each is replaced by spaces.
HIDDEN = re.compile(
    r"```.*?```"                      # fenced blocks
    r"|\$\$.*?\$\$"                   # display math
    r"|(?<![\\$])\$[^$\n]+?\$"        # inline math
    r"|\{[\w:-]+\}`[^`]*`"            # MyST roles: {cite}`key`, {doc}`...`
    r"|`[^`\n]*`"                     # inline code
    r"|\]\([^)\s]*\)"                 # link targets
    r"|https?://\S+"                  # bare addresses
    r"|<[^>\n]+>"                     # HTML tags
    r"|^:{3,}[^\n]*|^:[\w-]+:[^\n]*"  # directive fences and option lines
    r"|^\+\+\+[^\n]*",                   # jupytext cell markers
    re.S | re.M,
)
IMAGE_SIZE = re.compile(rf"\d+(?:[{SPACES}]?[x×][{SPACES}]?\d+)+(?![\w.,]?\d)")
LINE_NUMBER = re.compile(r"^\s*(?:#+\s*)?\d+(?:\.\d+)*\.(?=\s)|^\s*#+\s*\d+(?=\s)", re.M)  # "# 4. GANs", "1. Train"
NUMBER = {
    "en": re.compile(rf"(?P<sign>[-−])?(?P<int>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<frac>\d+))?(?P<pct>[{SPACES}]?%)?"),
    "es": re.compile(rf"(?P<sign>[-−])?(?P<int>\d{{1,3}}(?:[.{SPACES}]\d{{3}})+|\d+)(?:[,.](?P<frac>\d+))?(?P<pct>[{SPACES}]?%)?"),
}
OUTPUT_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?P<pct>\s?%)?")


@dataclass(frozen=True)
class Quote:
    """A number as the prose writes it, with the readings it may have."""

    text: str
    readings: tuple[tuple[Decimal, int], ...]  # (value, decimals quoted)
    percent: bool
    sentence: str


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("−", "-").replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None


def _readings(match: re.Match, lang: str) -> tuple[tuple[Decimal, int], ...]:
    """The values a quoted number may stand for (a Spanish "1.334" is 1334 or 1.334)."""
    sign = "-" if match["sign"] else ""
    whole, frac = match["int"], match["frac"] or ""
    groups = re.split(rf"[,.{SPACES}]", whole)
    if len(groups) == 2 and whole[len(groups[0])] in ".," and not frac and (lang == "es" or whole[1] == ","):
        decimal = (Decimal(f"{sign}{groups[0]}.{groups[1]}"), 3)
        if groups[0] == "0":
            return (decimal,)  # "0.483": a decimal in either convention
        if lang == "es":
            return (Decimal(sign + "".join(groups)), 0), decimal
    digits = "".join(groups)
    return ((Decimal(f"{sign}{digits}.{frac}" if frac else sign + digits), len(frac)),)


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a position, on one line."""
    left = max(text.rfind(". ", 0, start), text.rfind("\n\n", 0, start))
    right = min([i for i in (text.find(". ", end), text.find("\n\n", end)) if i >= 0] or [len(text)])
    return " ".join(text[left + 1: right + 1].split())


MILLION = re.compile(rf"[{SPACES}-](?:million|mill[oó]n|millones)\b")
MATH_DECIMAL = {  # in English math "9{,}248" is a thousands separator, in Spanish "0{,}98" a decimal comma
    "en": re.compile(r"[-−]?\d+\.\d{2,}"),
    "es": re.compile(r"[-−]?(?:\d+\.\d{2,}|0\{,\}\d{2,})"),
}


def _blank(span: str, lang: str) -> str:
    """A hidden span as spaces, except that math keeps its decimals of two or more places:
    "$D(x) = 0.98$" quotes a measurement, "$\\beta_1 = 0.5$" a setting."""
    kept = [ch if ch == "\n" else " " for ch in span]
    if span.startswith("$") and not span.startswith("$$"):
        for m in MATH_DECIMAL[lang].finditer(span):
            number = m.group(0).replace("{,}", ",")
            kept[m.start(): m.start() + len(number)] = number
    return "".join(kept)


def prose_quotes(markdown: str, lang: str, code_values: set[Decimal] = frozenset()) -> list[Quote]:
    """The numbers of one markdown text that are candidates for measurements (see the module doc)."""
    shown = markdown  # for the sentences the messages quote
    text = HIDDEN.sub(lambda m: _blank(m.group(0), lang), markdown)
    text = LINE_NUMBER.sub(lambda m: " " * len(m.group(0)), text)
    text = IMAGE_SIZE.sub(lambda m: " " * len(m.group(0)), text)
    counting = re.compile(rf"(?:\b(?:{COUNTING_WORDS[lang]})\s+)((?:\d+(?:\.\d+)*(?:,\s*|\s+(?:and|y|or|o|to|a)\s+)?)+)", re.I)
    text = counting.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + " " * len(m.group(1)), text)
    quotes = []
    for match in NUMBER[lang].finditer(text):
        start, end = match.span()
        before = text[start - 1] if start else " "
        if match["sign"] and before not in " ([\n" + SPACES:
            before, start = match["sign"], start + 1  # a hyphen inside a word: "ResNet-9"
            match = NUMBER[lang].match(text, start)
            if match is None:
                continue
        after = text[match.end(): match.end() + 1]
        if before.isalnum() or before in "_-" or (after.isalpha() and after not in "x×") or after == "_":
            continue  # glued to a word: pix2pix, bf16, 2nd, ResNet-9
        whole = match["int"]
        if len(whole) == 2 and whole.startswith("0") and not match["frac"]:
            continue  # a chapter: 02
        readings = _readings(match, lang)
        if all(v == v.to_integral() and 1800 <= v <= 2039 and d == 0 for v, d in readings) and "," not in whole \
                and "." not in whole and not match["pct"]:
            continue  # a year
        scale = MILLION.match(text, match.end())
        if scale:  # "54.4 million": the value, to the precision written
            readings = tuple((v.scaleb(6), d - 6) for v, d in readings)
        percent = bool(match["pct"])
        if any(v in code_values or (percent and v / 100 in code_values) for v, _ in readings):
            continue  # a literal in the chapter's code: a setting, not a measurement
        quotes.append(Quote(match.group(0).strip(SPACES), readings, percent, _sentence(shown, match.start(), match.end())))
    return quotes


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser()
    config.read(SANITIZE)
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def output_values(cells) -> list[Decimal]:
    """Every number in the stored text outputs of some cells; a percentage also as its fraction."""
    values = []
    rules = _sanitizers()
    for cell in cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            for pattern, replace in rules:
                text = pattern.sub(replace, text)
            for match in OUTPUT_NUMBER.finditer(text):
                value = _decimal(match.group(0).rstrip(" %"))
                if value is not None:
                    values.append(value)
                    if match["pct"]:
                        values.append(value / 100)
    return values


def code_values(cells) -> set[Decimal]:
    """The numeric literals of the code cells (comments and strings do not count)."""
    values = set()
    for cell in cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.NUMBER and not token.string.lower().startswith(("0x", "0o", "0b")):
                    value = _decimal(token.string.rstrip("jJ"))
                    if value is not None:
                        values.add(value.normalize())
                        values.add(value)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            continue
    return values


def backed(quote: Quote, outputs: list[Decimal]) -> bool:
    """Some output, rounded to the quoted precision, equals the quote (a fraction backs a percentage)."""
    for value, decimals in quote.readings:
        half = Decimal(5).scaleb(-decimals - 1) * Decimal("1.000001")
        for x in outputs:
            if abs(x - value) <= half or (quote.percent and abs(100 * x - value) <= half):
                return True
    return False


def allowed(chapter: str) -> list[dict]:
    entries = (yaml.safe_load(ALLOWED.read_text()) or {}).get(chapter, []) if ALLOWED.exists() else []
    for entry in entries:
        if not str(entry.get("reason", "")).strip():
            raise ValueError(f"{ALLOWED.name}: the entry {entry!r} of {chapter} needs a reason")
    return entries


def _is_allowed(quote: Quote, entries: list[dict]) -> dict | None:
    for entry in entries:
        value = _decimal(str(entry["number"]))
        if any(v == value for v, _ in quote.readings):
            return entry
    return None


SOLUTIONS = {"en": "### Solutions", "es": "### Soluciones"}


def _parts(cells, lang: str) -> list[int]:
    """For each cell, the part of the chapter it is in: 0, 1, ... for the sections that open with
    a "## " heading, -1 for the solutions."""
    parts, part = [], 0
    for cell in cells:
        if cell.cell_type == "markdown":
            if cell.source.strip() == SOLUTIONS[lang]:
                part = -1
            elif part >= 0 and cell.source.lstrip().startswith("## "):
                part += 1
        parts.append(part)
    return parts


def check(md_path: Path) -> tuple[list[Quote], list[dict]]:
    """The unbacked quotes of one chapter source, and the allow-list entries it used.

    A number in the text of a section is backed by the outputs of that section and the sections
    before it; a number in the solutions only by the outputs of the solution cells."""
    source = jupytext.read(md_path)
    nb = nbformat.read(md_path.with_suffix(".ipynb"), as_version=4)
    lang, chapter = md_path.parent.name, md_path.stem
    out_parts = _parts(nb.cells, lang)
    codes, entries = code_values(source.cells), allowed(chapter)
    unbacked, used = [], []
    for cell, part in zip(source.cells, _parts(source.cells, lang)):
        if cell.cell_type != "markdown":
            continue
        scope = [c for c, p in zip(nb.cells, out_parts) if (p == -1 if part == -1 else 0 <= p <= part)]
        outputs = output_values(scope)
        for quote in prose_quotes(cell.source, lang, codes):
            if backed(quote, outputs):
                continue
            entry = _is_allowed(quote, entries)
            if entry is not None:
                used.append(entry)
            else:
                unbacked.append(quote)
    return unbacked, used


def report(md_path: Path, quotes: list[Quote]) -> str:
    return "\n".join(f"{md_path.parent.name}/{md_path.stem}: {q.text!r} in: {q.sentence}" for q in quotes)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(ROOT.glob("chapters/*/*.md"))
    failed = 0
    for path in paths:
        unbacked, _ = check(path.resolve())
        if unbacked:
            print(report(path, unbacked))
            failed += len(unbacked)
    print(f"{failed} unbacked numbers", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
