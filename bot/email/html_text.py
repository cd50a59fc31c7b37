"""An HTML-only mail as the plain text its client would have sent: lines where the HTML
breaks them, quoted parts marked with "> ", and the signature the client marked
(Gmail, Outlook, Thunderbird) after a "-- " line, so the text splitter treats both
kinds of mail alike. Pure: a string in, a string out."""
from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {"address", "blockquote", "div", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li",
          "ol", "p", "pre", "section", "table", "tr", "ul"}
PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table"}  # a blank line after these
INVISIBLE = {"head", "script", "style", "template", "title"}
# How the mail clients mark the sender's signature in HTML (class or id).
SIGNATURE_MARKS = re.compile(r"\b(?:gmail_signature|moz-signature|Signature|signature)\b")
VOID = {"br", "hr", "img", "meta", "link", "input", "wbr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.quote_depth = 0
        self.invisible = 0
        self.open: list[tuple[str, bool]] = []  # (tag, opened a quote)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE:
            self.invisible += 1
            return
        if tag == "br":
            self.break_line()
            return
        if tag in BLOCKS:
            self.break_line(soft=True)
        marks = " ".join(value or "" for name, value in attrs if name in ("class", "id"))
        if SIGNATURE_MARKS.search(marks) and "prefix" not in marks:
            self.break_line(soft=True)
            if not self.lines or self.lines[-1].strip() != "--":  # Gmail writes its own "-- "
                self.lines.append("-- ")
        if tag in VOID:
            return
        quotes = tag == "blockquote"
        self.quote_depth += quotes
        self.open.append((tag, quotes))

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE:
            self.invisible = max(0, self.invisible - 1)
            return
        if tag in VOID or not any(name == tag for name, _ in self.open):
            return
        while self.open:
            name, quotes = self.open.pop()
            if tag in BLOCKS:
                self.break_line(soft=True)
            self.quote_depth -= quotes
            if name == tag:
                break
        if tag in PARAGRAPHS:
            self.lines.append("> " * self.quote_depth)

    def handle_data(self, data: str) -> None:
        if not self.invisible:
            self.line.append(re.sub(r"\s+", " ", data))

    def break_line(self, soft: bool = False) -> None:
        text = "".join(self.line).strip()
        self.line = []
        if soft and not text:
            return
        self.lines.append("> " * self.quote_depth + text)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup or "")
    parser.close()
    parser.break_line(soft=True)
    text = "\n".join(line.rstrip() for line in parser.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
