"""A customer's mail in three parts: what they wrote now, their sign-off and signature,
and the quoted history (earlier messages, forwarded mail); and the sentences of the
first part that ask or tell something.

Where the history starts comes from mail-parser-reply's reply headers ("On ... wrote:",
"Am ... schrieb ...:", Outlook's "From:/Sent:" and their translations), which beat
email-reply-parser on our corpus (tests/support/mail, `make bench-email`). What neither
library does is here, kept small: forwarded-message markers, a quote after an attribution
line in any language, an answer written below the quote, sign-offs and signature blocks
without a "-- " line, legal footers, questions written after the signature (P.S.), and the
questions of a forwarded message the customer points at ("see below, can you answer this?").
Pure: text in, text out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mailparser_reply import EmailMessage

MAX_QUESTIONS = 5  # a long email is answered in its first five questions; people see the rest
MAX_TEXT = 20_000  # what a customer writes now is at the top; the regexes never see megabytes
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs"]
REPLY_HEADER = EmailMessage(text="", languages=list(LANGUAGES)).HEADER_REGEX
# A reply header is a short line: longer ones are hidden from the library's patterns, which
# backtrack quadratically along a long line ("On ... wrote" repeated takes seconds at 10 kB).
LONG_LINE = re.compile(r"^[^\n]{300,}$", re.MULTILINE)
# A real quoted header names an address, a year or a time; "From: Starter\nTo: Pro" does not.
HEADER_EVIDENCE = re.compile(r"@|\b\d{4}\b|\d:\d\d")
FORWARD_NAMES = (r"forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
                 r"mensagem encaminhada|messaggio inoltrato|doorgestuurd bericht")
FORWARD_LINES = r"begin forwarded message:|anfang der weitergeleiteten nachricht:|début du message réexpédié :?"
FORWARDED = re.compile(rf"^(?:-{{2,}} ?(?:{FORWARD_NAMES}|original message) ?-{{2,}}|{FORWARD_LINES})$",
                       re.IGNORECASE | re.MULTILINE)
# A message forwarded whole: never Outlook's "Original Message" (replies use it too) nor a reply's
# quote, which hold the assistant's own words, offers included.
FORWARD = re.compile(rf"(?:-{{2,}} ?(?:{FORWARD_NAMES}) ?-{{2,}}|{FORWARD_LINES})\n", re.IGNORECASE)
HEADER_LINE = re.compile(r"^[\w -]{1,24}:\s")
# The customer's words pointing at a forwarded message as what to answer: "see below", "can you
# answer this?", "my colleague asks".
POINTS_AT_IT = re.compile(
    r"\b(?:see|read|look at|check)\b[^.?!\n]{0,30}\bbelow\b|\b(?:questions?|e-?mail|message)\s+below\b"
    r"|\bcan you\s+(?:please\s+)?(?:answer|help(?: me)? with|reply to|respond to|look at|take a look at)\s+"
    r"(?:this|that|it|these|them)\b"
    r"|\b(?:colleague|boss|manager|accountant|co-?worker|teammate|client|customer|partner)\s+(?:asks|asked|"
    r"is asking|was asking|wants to know|wanted to know)\b",
    re.IGNORECASE)
SENTENCE = re.compile(r"[^.?!\n]+[.?!]*")
SEPARATOR = re.compile(r"^_{10,}$", re.MULTILINE)
SIGNATURE_DELIMITER = re.compile(r"^(?:--|__|—)$")
SENT_FROM = re.compile(r"^(?:sent (?:from|with|via) |get outlook for |enviado desde |envoyé (?:de|depuis) |"
                       r"gesendet von |verzonden (?:vanaf|met) |inviato da |skickat från |sendt fra |wysłano z )",
                       re.IGNORECASE)
NAME_WORD = r"(?:[A-ZÀ-Ý][\w'.-]*|&|de|da|van|von|der|di|du|le|la|bin|al)"
SIGN_OFF = re.compile(
    r"[-–—~]?\s*(?i:(?:(?:best|kind|kindest|warm|warmest|many|with best|with kind|all the)\s+)?"
    r"(?:regards|wishes|thanks|thank you|best|cheers|sincerely|yours(?: sincerely| truly| faithfully)?|"
    r"respectfully|take care|talk soon|thx|br|mit freundlichen grüßen|viele grüße|beste grüße|liebe grüße|"
    r"grüße|gruß|cordialement|bien à vous|salutations|saludos|un saludo|atentamente|grazie|cordiali saluti|"
    r"saluti|obrigad[oa]|atenciosamente|met vriendelijke groet(?:en)?|groeten|(?:med )?vänliga hälsningar|"
    r"hälsningar|med venlig hilsen|pozdrawiam|s pozdravem|merci(?: d'avance| beaucoup)?|danke(?: schön)?|"
    r"gracias|muchas gracias)(?:\s+(?:again|so much|a lot|in advance))?)"
    rf"\s*[,.!]*(?:\s*[-–—,]?\s*{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}})?")
FOOTER = re.compile(
    r"^\W*(?:confidentiality notice|confidential(?:ity)?:|disclaimer|privileged and confidential|"
    r"important notice|this (?:e-?mail|message|communication)(?: and any (?:files|attachments)[^.]*?)? "
    r"(?:is|are|may) (?:be )?(?:confidential|intended|privileged)|the information (?:contained )?in this "
    r"(?:e-?mail|message)|please consider the environment|if you (?:are not the intended|have received this))",
    re.IGNORECASE)
POSTSCRIPT = re.compile(r"^(?:p\.?\s?p\.?\s?s|p\.?\s?s)\b[.:]*\s*", re.IGNORECASE)
CONTACT = re.compile(r"https?://|www\.|@|\+?\d[\d ()./-]{6,}\d|\||\b[\w-]+\.(?:com|org|net|example|io|co)\b",
                     re.IGNORECASE)
NOT_NAMES = {"yes", "no", "ok", "okay", "sure", "please", "thanks", "cancel", "refund", "help", "agreed", "correct",
             "fine", "great", "understood", "done", "perfect"}
GREETING = re.compile(r"(?i:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening|day)|greetings|hallo|"
                      r"bonjour|hola|ciao|hej|buongiorno|guten tag|olá)\b(?:[ ,]+[\w.&'-]+){0,3}\s*[,!.:]?")
SMALL_TALK = re.compile(
    r"(?i:(?:thanks|thank you|many thanks|thx|cheers|much appreciated|appreciate it)"
    r"(?: (?:so|very) much| a lot| again| in advance)?(?: for (?:your|the) (?:help|time|reply|answer|"
    r"quick (?:reply|answer|response)))?\s*[!.,]*|(?:i )?hope (?:you(?:'re| are) (?:well|doing well)|"
    r"this (?:e-?mail |message )?finds you well)[!.,]*|(?:(?:thanks|thank you|great|perfect|ok(?:ay)?)[,!.]*\s+)?"
    r"(?:that's|that is|this is) (?:all|everything|great|perfect|helpful|clear)(?: i needed)?[!.]*)")
LIST_ITEM = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class MailParts:
    written: str    # what the customer wrote now, with anything they added after the signature (P.S.)
    signature: str  # sign-off, signature, mobile lines, legal footers
    history: str    # quoted earlier messages and forwarded mail


def split_mail(text: str) -> MailParts:
    parts = _split(text)
    return MailParts(_with_forwarded_questions(parts.written, parts.history), parts.signature, parts.history)


def _split(text: str) -> MailParts:
    lines = [line.strip() for line in (text or "")[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
             .replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "").split("\n")]
    text = "\n".join(lines)
    start = history_start(text)
    top, history = text[:start], text[start:]
    if not top.strip() and history:
        top, history = _written_below_the_quote(history)
    written, signature = _cut_signature(top.split("\n"))
    return MailParts(written.strip(), signature.strip(), history.strip())


def _with_forwarded_questions(written: str, history: str) -> str:
    """What the customer wrote, with the questions of the message they forwarded when they point
    at it ("see below, can you answer this?") or wrote nothing: asked as theirs. The words that
    point are left out, unless nothing else would be left to answer."""
    forwarded = FORWARD.match(history)
    if not forwarded or (written and not POINTS_AT_IT.search(written)):
        return written
    asked = [q for q in questions(_split(_without_headers(history[forwarded.end():])).written)
             if "?" in q and len(q.split()) >= 3 and not CONTACT.search(q) and not POINTS_AT_IT.search(q)]
    own = SENTENCE.sub(lambda sentence: "" if POINTS_AT_IT.search(sentence.group()) else sentence.group(),
                       written).strip()
    if not own and not asked:
        return written  # nothing else to answer: the pointing words are the question (for a person)
    return "\n\n".join(part for part in (own, *asked) if part)


def _without_headers(forwarded: str) -> str:
    """A forwarded message's body: its From/Date/Subject/To block left out."""
    lines = forwarded.lstrip("\n").split("\n")
    end = 0
    while end < len(lines) and HEADER_LINE.match(lines[end]):
        end += 1
    return "\n".join(lines[end:])


def history_start(text: str) -> int:
    """Where the quoted or forwarded history begins (len(text) when there is none)."""
    starts = [len(text)]
    for match in REPLY_HEADER.finditer(LONG_LINE.sub(lambda line: " " * len(line.group()), text)):
        if HEADER_EVIDENCE.search(match.group(0)):
            starts.append(match.start() + len(match.group(0)) - len(match.group(0).lstrip("\n")))
            break
    starts += [m.start() for m in (FORWARDED.search(text), SEPARATOR.search(text)) if m]
    quote = _quote_start(text.split("\n"))
    if quote is not None:
        starts.append(len("\n".join(text.split("\n")[:quote])) + (1 if quote else 0))
    return min(starts)


def _quote_start(lines: list[str]) -> int | None:
    """The first '>' line, or the attribution line above it ("... <a@b> wrote:" in any
    language ends with a colon; Gmail wraps it after the '<')."""
    first = next((i for i, line in enumerate(lines) if line.startswith(">")), None)
    if first is None:
        return None
    above = first - 1
    while above >= 0 and not lines[above]:
        above -= 1
    if above >= 0 and lines[above].endswith(":") and first - above <= 2:
        return above - 1 if above > 0 and lines[above - 1].endswith("<") else above
    return first


def _written_below_the_quote(history: str) -> tuple[str, str]:
    """An answer written under the quoted message (bottom posting)."""
    lines = history.split("\n")
    first = next((i for i, line in enumerate(lines) if line.startswith(">")), None)
    if first is None:
        return "", history
    end = first
    while end < len(lines) and (lines[end].startswith(">") or not lines[end]):
        end += 1
    rest = "\n".join(lines[end:])
    cut = history_start(rest)
    return rest[:cut], "\n".join(lines[:end]) + "\n" + rest[cut:]


def _cut_signature(lines: list[str]) -> tuple[str, str]:
    first = next((i for i, line in enumerate(lines) if line and not GREETING.fullmatch(line)), len(lines))
    end = next((i for i, line in enumerate(lines) if i > first and (
        SIGNATURE_DELIMITER.match(line) or SENT_FROM.match(line) or SIGN_OFF.fullmatch(line)
        or FOOTER.match(line))), len(lines))
    end = _signature_block_start(lines, first, end)
    signature = lines[end:]
    afterthoughts = _afterthoughts(signature)
    return "\n\n".join(["\n".join(lines[:end]).rstrip(), *afterthoughts]), "\n".join(signature)


def _signature_block_start(lines: list[str], first: int, end: int) -> int:
    """Where a name (and title, company, phone...) block just above `end` starts, if any."""
    run = end
    while run - 1 > first and (not lines[run - 1] or _signature_shaped(lines[run - 1])):
        run -= 1
    for k in range(run, end):
        before = lines[k - 1] if k else ""
        if _name_like(lines[k]) and (k == run or not before or before[-1] in ".?!:)"):
            return k
        # A sign-off in a language we have no words for: a short line ending in a comma, then a name.
        if k + 1 < end and before == "" and lines[k].endswith(",") and len(lines[k].split()) <= 4 \
                and _name_like(lines[k + 1]):
            return k
    return end


def _signature_shaped(line: str) -> bool:
    words = line.split()
    if CONTACT.search(line) or line.startswith("[cid:"):
        return True
    return len(words) <= 8 and "?" not in line and not (line.endswith(".") and len(words) > 4)


def _name_like(line: str) -> bool:
    words = line.lstrip("-–—~ ").rstrip(",").split()
    return (0 < len(words) <= 5 and all(re.fullmatch(NAME_WORD, word) for word in words)
            and words[0].lower().strip(".!") not in NOT_NAMES)


def _afterthoughts(signature: list[str]) -> list[str]:
    """Paragraphs after the signature that are the customer's own words: a P.S., or a
    question that is not a company's tagline (no address, link or phone in it)."""
    kept = []
    paragraphs = [p.strip() for p in "\n".join(signature).split("\n\n") if p.strip()]
    for number, paragraph in enumerate(paragraphs):
        if FOOTER.match(paragraph):
            break
        postscript = POSTSCRIPT.match(paragraph)
        if postscript:
            kept.append(paragraph[postscript.end():])
        elif number and "?" in paragraph and not CONTACT.search(paragraph) and len(paragraph.split()) >= 3:
            kept.append(paragraph)
    return kept


def questions(written: str) -> list[str]:
    """The sentences that ask or tell something: paragraphs (a list's items each on their
    own), split after each question mark, without greetings, thanks and list introductions."""
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", written):
        parts: list[list[str]] = [[]]
        for line in paragraph.split("\n"):
            line = " ".join(line.split())
            if not line or (parts == [[]] and GREETING.fullmatch(line)):
                continue
            item = LIST_ITEM.match(line)
            if item:
                parts.append([line[item.end():]])
            else:
                parts[-1].append(line)
        for part in parts:
            for number, sentence in enumerate(re.split(r"(?<=\?)\s+", " ".join(part))):
                signed = number and _name_like(sentence)  # "... the fee? Evie": a name after the question
                if sentence and not sentence.endswith(":") and not SMALL_TALK.fullmatch(sentence) \
                        and not GREETING.fullmatch(sentence) and not signed:
                    found.append(sentence)
    return found[:MAX_QUESTIONS]
