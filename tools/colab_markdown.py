"""The chapters' MyST markup turned into the plain markdown that Colab and JupyterLab render.

The website is built from MyST (citations, admonitions, dropdowns, figures, cross-references);
the markdown cells of Colab and JupyterLab understand CommonMark, tables, raw HTML and ``$``
math only. ``tools/notebooks.py sync`` passes every markdown cell of a chapter through
:func:`plain_cells`, so the committed ``.ipynb`` reads cleanly there:

* ``{cite}`key``` and ``{cite:p}`` give "(Radford et al., 2016)", ``{cite:t}`` "Radford et al.
  (2016)", linked to the work's DOI, URL or arXiv page when ``references.bib`` has one;
* admonitions (``{note}``, ``{tip}``, ``{warning}``, ``{admonition}``, ...) become a blockquote
  with a bold title; a dropdown (``:class: dropdown`` or ``{dropdown}``) ``<details><summary>``;
* ``{figure}`` and ``{image}`` become a markdown image, with an italic caption "Figure N. ...";
* ``(label)=`` targets are removed; ``{ref}``, ``{numref}``, ``{eq}`` and ``{doc}`` become the
  text a reader needs (the section's title, "Figure 3", "(2)");
* ``{math}`` and labelled ``$$ ... $$ (label)`` become plain ``$$`` math, numbered by ``\\tag``.

Any other MyST role or directive raises :class:`UnknownMarkup`, so a new construct is noticed
when the notebooks are synced, not by a reader on Colab. Code spans and code blocks are copied
as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Reference", "UnknownMarkup", "load_references", "plain_cells"]

WORDS = {
    "en": {"and": "and", "figure": "Figure", "note": "Note", "tip": "Tip", "warning": "Warning",
           "important": "Important", "hint": "Hint", "caution": "Caution", "attention": "Attention",
           "danger": "Danger", "error": "Error", "seealso": "See also"},
    "es": {"and": "y", "figure": "Figura", "note": "Nota", "tip": "Consejo", "warning": "Advertencia",
           "important": "Importante", "hint": "Pista", "caution": "Precaución", "attention": "Atención",
           "danger": "Peligro", "error": "Error", "seealso": "Véase también"},
}
ADMONITIONS = {"admonition", "note", "tip", "warning", "important", "hint", "caution", "attention",
               "danger", "error", "seealso"}

# ```{name} argument   or   :::{name} argument   (up to three spaces of indentation)
DIRECTIVE = re.compile(r"^ {0,3}(?P<fence>`{3,}|:{3,}|~{3,})\{(?P<name>[\w:.-]+)\}[ \t]*(?P<arg>.*)$")
CODE_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^`{]*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^ {0,3}\((?P<label>[^()\s]+)\)=[ \t]*$")
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<title>.+?)[ \t#]*$")
ROLE = re.compile(r"\{(?P<name>[a-zA-Z][\w:+-]*)\}(?P<ticks>`+)(?P<content>.+?)(?P=ticks)")
DISPLAY_LABEL = re.compile(r"^(?P<math>.*\$\$)[ \t]*\((?P<label>[^()\s]+)\)[ \t]*$")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


class UnknownMarkup(ValueError):
    """MyST markup the conversion does not handle: extend tools/colab_markdown.py."""


@dataclass(frozen=True)
class Reference:
    """One bibliography entry as a citation shows it: "Radford et al.", "2016", a link."""

    authors: str
    year: str
    link: str = ""


def _latex_text(value: str) -> str:
    """``Tyle{\\v{c}}ek`` as a reader writes it: Tyleček (latexcodec, which pybtex uses; pybtex's
    own rich text looks its plugins up again on every call, seconds for one bibliography)."""
    import codecs

    import latexcodec  # noqa: F401  (registers the "ulatex" codec)

    return codecs.decode(value, "ulatex").replace("{", "").replace("}", "")


def _link(fields) -> str:
    """The entry's DOI, else a URL in any field, else its arXiv page."""
    if fields.get("doi"):
        return "https://doi.org/" + fields["doi"]
    values = [fields.get(name, "") for name in ("url", "howpublished", "note", "journal", "eprint")]
    for value in values:
        url = re.search(r"https?://[^\s{}]+", value)
        if url:
            return url.group(0)
    for value in values:
        arxiv = re.search(r"(?:arXiv:\s*)?(\d{4}\.\d{4,5})", value, re.I)
        if arxiv and ("arxiv" in value.lower() or value == fields.get("eprint")):
            return "https://arxiv.org/abs/" + arxiv.group(1)
    return ""


def load_references(bib: Path, lang: str = "en") -> dict[str, Reference]:
    """Every entry of ``bib`` by its key: surnames as a citation shows them, year, link."""
    from pybtex.database import parse_file

    joiner = f" {WORDS[lang]['and']} "
    references = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_latex_text(" ".join(p.prelast_names + p.last_names)) for p in people]
        if not names:
            authors = _latex_text(entry.fields.get("organization", key))
        elif len(names) <= 2:
            authors = joiner.join(names)
        else:
            authors = f"{names[0]} et al."
        references[key] = Reference(authors, entry.fields.get("year", "n.d."), _link(entry.fields))
    return references


@dataclass
class _Labels:
    """What the cross-references of one chapter point at."""

    sections: dict[str, str] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)
    equations: dict[str, int] = field(default_factory=dict)


def _collect_labels(cells: list[str]) -> _Labels:
    """Section titles, figure and equation numbers by label, over a whole chapter."""
    labels = _Labels()
    lines = "\n".join(cells).splitlines()
    pending = None  # the label of a (label)= target, waiting for what it names
    for n, line in enumerate(lines):
        target, directive = TARGET.match(line), DIRECTIVE.match(line)
        heading, display = HEADING.match(line), DISPLAY_LABEL.match(line)
        if target:
            pending = target.group("label")
            continue
        if pending and heading:
            labels.sections[pending] = heading.group("title")
        if directive and directive.group("name") == "figure":
            options, _ = _options(lines[n + 1:])
            label = options.get("name", "").strip() or pending or f"\0{len(labels.figures)}"
            labels.figures[label] = len(labels.figures) + 1
        if directive and directive.group("name") == "math":
            options, _ = _options(lines[n + 1:])
            label = options.get("label", "").strip() or pending
            if label:
                labels.equations[label] = len(labels.equations) + 1
        if display:
            labels.equations[display.group("label")] = len(labels.equations) + 1
        if line.strip():
            pending = None
    return labels


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line that closes the fence opened at ``start`` (len(lines) if none does)."""
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    return next((n for n in range(start + 1, len(lines)) if closing.match(lines[n])), len(lines))


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's ``:key: value`` lines (or its ``---`` YAML block), and the content after."""
    if body and body[0].strip() == "---":
        import yaml

        end = next(n for n in range(1, len(body)) if body[n].strip() == "---")
        options = yaml.safe_load("\n".join(body[1:end])) or {}
        return {str(k): str(v) for k, v in options.items()}, body[end + 1:]
    options, n = {}, 0
    while n < len(body) and OPTION.match(body[n]):
        option = OPTION.match(body[n])
        options[option.group("key")] = option.group("value")
        n += 1
    return options, body[n:]


def _trim(lines: list[str]) -> list[str]:
    """``lines`` without the blank lines at either end."""
    kept = [n for n, line in enumerate(lines) if line.strip()]
    return lines[kept[0]:kept[-1] + 1] if kept else []


def _italic_caption(image: str, prefix: str, caption: list[str]) -> list[str]:
    """The image, its caption (first paragraph) in italics, and the legend after it as it is."""
    end = next((n for n, line in enumerate(caption) if not line.strip()), len(caption))
    paragraph = " ".join(line.strip() for line in caption[:end])
    return [image, "", f"*{prefix} {paragraph}*", *caption[end:]]


class _Converter:
    def __init__(self, references: dict[str, Reference], labels: _Labels, lang: str) -> None:
        self.references, self.labels, self.words = references, labels, WORDS[lang]
        self.figures = 0

    # ---------------------------------------------------------------- inline roles
    def cite(self, name: str, content: str) -> str:
        keys = [k.strip() for k in content.split(",") if k.strip()]
        missing = [k for k in keys if k not in self.references]
        if missing:
            raise UnknownMarkup(f"{{{name}}}`{content}`: no references.bib entry for {', '.join(missing)}")
        refs = [self.references[k] for k in keys]

        def linked(text: str, ref: Reference) -> str:
            return f"[{text}]({ref.link})" if ref.link else text

        if name in ("cite:t", "cite:ts"):
            return ", ".join(linked(f"{r.authors} ({r.year})", r) for r in refs)
        if name in ("cite", "cite:p", "cite:ps"):
            return "(" + "; ".join(linked(f"{r.authors}, {r.year}", r) for r in refs) + ")"
        raise UnknownMarkup(f"citation role {{{name}}} is not converted")

    def role(self, name: str, content: str) -> str:
        explicit = EXPLICIT.match(content)
        text, target = (explicit.group("text"), explicit.group("target")) if explicit else ("", content)
        if name.startswith("cite"):
            return self.cite(name, content)
        if name == "ref":
            if not text and target not in self.labels.sections:
                raise UnknownMarkup(f"{{ref}}`{content}`: no section labelled {target!r} in this chapter")
            return text or self.labels.sections[target]
        if name == "numref":
            if target not in self.labels.figures:
                raise UnknownMarkup(f"{{numref}}`{content}`: no figure named {target!r} in this chapter")
            number = str(self.labels.figures[target])
            return (text or f"{self.words['figure']} %s").replace("%s", number).replace("{number}", number)
        if name == "eq":
            if target not in self.labels.equations:
                raise UnknownMarkup(f"{{eq}}`{content}`: no equation labelled {target!r} in this chapter")
            return f"({self.labels.equations[target]})"
        if name == "doc":
            return text or Path(target).name
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup", "kbd"):
            return f"<{name}>{content}</{name}>"
        if name == "abbr":
            return re.sub(r"\s*\(.*\)$", "", content)
        if name in ("term", "guilabel"):
            return text or target
        if name in ("code", "file", "command", "program", "samp"):
            return f"`{text or target}`"
        if name == "download":
            return f"[{text or Path(target).name}]({target})"
        raise UnknownMarkup(f"role {{{name}}}`{content}` is not converted")

    def inline(self, line: str) -> str:
        """The roles of one line converted; code spans (`...`) copied untouched."""
        out, i = [], 0
        while i < len(line):
            role = ROLE.match(line, i)
            if role:
                out.append(self.role(role.group("name"), role.group("content")))
                i = role.end()
            elif line[i] == "`":
                ticks = re.match(r"`+", line[i:]).group(0)
                end = line.find(ticks, i + len(ticks))
                stop = end + len(ticks) if end >= 0 else i + len(ticks)
                out.append(line[i:stop])
                i = stop
            else:
                out.append(line[i])
                i += 1
        return "".join(out)

    # ---------------------------------------------------------------- blocks
    def block(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            directive, fence, display = DIRECTIVE.match(line), CODE_FENCE.match(line), DISPLAY_LABEL.match(line)
            if directive:
                end = _closing(lines, i, directive.group("fence"))
                out.extend(self.directive(directive.group("name"), directive.group("arg").strip(), lines[i + 1:end]))
                i = end + 1
            elif fence:  # a code block: copied as it is
                end = _closing(lines, i, fence.group("fence"))
                out.extend(lines[i:end + 1])
                i = end + 1
            elif TARGET.match(line):
                i += 1
                if i < len(lines) and not lines[i].strip() and (not out or not out[-1].strip()):
                    i += 1  # and the blank line it leaves
            else:
                if display:  # $$ ... $$ (label): the number goes into the formula
                    tag = f"\\tag{{{self.labels.equations[display.group('label')]}}}"
                    math = display.group("math")[:-2].rstrip()
                    line = f"{math} {tag} $$" if math.strip() else f"{tag}\n$$"
                out.append(self.inline(line))
                i += 1
        return out

    def directive(self, name: str, arg: str, body: list[str]) -> list[str]:
        options, body = _options(body)
        if name in ADMONITIONS or name == "dropdown":
            title = self.inline(arg) if arg else self.words.get(name, name.capitalize())
            inner = _trim(self.block(body))
            if name == "dropdown" or "dropdown" in options.get("class", "").split():
                return ["<details>", f"<summary>{title}</summary>", "", *inner, "", "</details>"]
            return [f"> **{title}**", ">", *[f"> {line}".rstrip() for line in inner]]
        if name in ("figure", "image"):
            image = f"![{options.get('alt', '')}]({arg})"
            if name == "image":
                return [image]
            self.figures += 1
            caption = _trim(self.block(body))
            return _italic_caption(image, f"{self.words['figure']} {self.figures}.", caption) if caption else [image]
        if name == "math":
            number = self.labels.equations.get(options.get("label", "").strip())
            return ["$$", *_trim(body), *([f"\\tag{{{number}}}"] if number else []), "$$"]
        if name in ("code-block", "code", "sourcecode"):
            return [f"```{arg}", *body, "```"]
        raise UnknownMarkup(f"directive {{{name}}} is not converted")


def plain_cells(cells: list[str], references: dict[str, Reference], lang: str = "en") -> list[str]:
    """The markdown cells of one chapter, in order, with their MyST markup converted (labels
    and figure numbers are counted over the whole chapter, so pass every markdown cell)."""
    converter = _Converter(references, _collect_labels(cells), lang)
    return ["\n".join(converter.block(text.split("\n"))) for text in cells]
