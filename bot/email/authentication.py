"""Whether an inbound mail comes from the address in its From header: our receiving server's
verdict, aligned with the From domain.

Anyone upstream can write an `Authentication-Results` field (RFC 8601) naming any server, and
a pass in it may be for any domain: SPF for the attacker's own envelope sender, DKIM for the
attacker's own signature. So only the fields our receiving server wrote count: a server adds
its fields above everything that came with the message, so ours are the topmost ones, and
they carry our server's name (its authserv-id, EMAIL_AUTHSERV_ID). Everything below the first
field with another name is the sender's to write. In ours, the sender is proven by a DMARC
pass for the From domain (RFC 7489: the receiver found SPF or DKIM aligned with it), or by an
SPF or DKIM pass for the From domain itself; a DMARC result other than pass or none (fail,
an error) outweighs them.

A Mailgun route posts Mailgun's own verdicts as fields beside the message's headers. Its
DKIM verdict does not say whose signature passed, so only its SPF pass proves anything, and
only when the envelope sender it checked is at the From domain itself. Whatever the message's
own headers say (the route's `message-headers`) is the sender's to write.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

QUOTED = re.compile(r'("(?:[^"\\]|\\.)*")')
PAIR = re.compile(r'([^\s=";]+)=("(?:[^"\\]|\\.)*"|[^\s";]*)')
AROUND_SIGNS = re.compile(r"\s*([=/])\s*")
AROUND_DOT = re.compile(r"(?<=\w)\s*\.\s*(?=\w)")  # `header . from`: RFC 8601 allows space there


@dataclass(frozen=True)
class Result:
    """One `method=result` of a field, with its properties (`smtp.mailfrom`, `header.d`, ...)."""
    method: str
    result: str
    properties: dict[str, str]


def parse_field(value: str) -> tuple[str, list[Result]]:
    """The authserv-id of one Authentication-Results field and its results (comments dropped)."""
    pieces = _outside_quotes(_without_comments(value), lambda text: AROUND_DOT.sub(".", AROUND_SIGNS.sub(r"\1", text)))
    server, *results = _split_outside_quotes(pieces, ";")
    words = server.split()
    parsed = []
    for statement in results:
        pairs = PAIR.findall(statement)
        if not pairs:  # "none": the server checked nothing
            continue
        (method, result), *properties = pairs
        parsed.append(Result(method.split("/")[0].lower(), _unquoted(result).lower(),
                             {key.lower(): _unquoted(found).lower() for key, found in properties}))
    return (_unquoted(words[0]).lower() if words else ""), parsed


def our_results(fields: list[str], authserv_ids: frozenset[str]) -> list[Result]:
    """The results of the topmost fields (`fields` top first) that our receiving server wrote."""
    results = []
    for field in fields:
        server, found = parse_field(field)
        if server not in authserv_ids:
            break
        results += found
    return results


def proves_sender(results: list[Result], from_domain: str) -> bool:
    """Whether the results prove mail from the From domain (see the module's docstring)."""
    from_domain = _domain(from_domain)
    dmarc = [r for r in results if r.method == "dmarc"]
    if any(r.result not in ("pass", "none") for r in dmarc):
        return False
    return any(r.result == "pass" and _aligned(r, from_domain) for r in results)


def mailgun_proves_sender(verdicts: dict, envelope_sender: str, from_address: str) -> bool:
    """Mailgun's SPF verdict, for an envelope sender at the From domain itself."""
    spf = str(verdicts.get("X-Mailgun-Spf") or "").strip().lower()
    return spf == "pass" and _domain(envelope_sender) == _domain(from_address)


def _aligned(result: Result, from_domain: str) -> bool:
    signed = {"dmarc": [result.properties.get("header.from", from_domain)],
              "spf": [result.properties.get("smtp.mailfrom", "")],
              "dkim": [result.properties.get("header.d", ""), result.properties.get("header.i", "")]}
    return any(_domain(name) == from_domain for name in signed.get(result.method, []) if name)


def _domain(name: str) -> str:
    """The domain of an address or a domain name, lower-cased, without a trailing dot."""
    return name.rpartition("@")[2].strip().strip(".").lower()


def _without_comments(value: str) -> str:
    """The field without its (nested) comments; quoted strings are kept whole."""
    kept, depth, quoted, escaped = [], 0, False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif depth == 0 and char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            continue
        elif not quoted and char == ")" and depth:
            depth -= 1
            if depth == 0:
                kept.append(" ")
            continue
        if depth == 0:
            kept.append(char)
    return "".join(kept)


def _outside_quotes(text: str, change) -> str:
    return "".join(piece if index % 2 else change(piece) for index, piece in enumerate(QUOTED.split(text)))


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts = [""]
    for index, piece in enumerate(QUOTED.split(text)):
        if index % 2:
            parts[-1] += piece
            continue
        first, *rest = piece.split(separator)
        parts[-1] += first
        parts += rest
    return parts


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
