"""`make bench-email`: the two reply-parsing libraries and our splitter on the corpus of
customer mails (tests/support/mail), by how many mails yield exactly the expected
questions, per format, and the time per mail as a ratio to email-reply-parser's.

Each candidate gets the same text (HTML-only mail converted to text first, which neither
library does) and the same sentence rules (`questions`), so the counts compare what each
finds as "what the customer wrote now". Writes bench/out/email-split.png.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Callable

from email_reply_parser import EmailReplyParser as ZapierParser
from mailparser_reply import EmailReplyParser as MultiLanguageParser

from bot.email.split import LANGUAGES, questions, split_mail
from tests.support.mail_corpus import CorpusMail, corpus

OUT = Path(__file__).resolve().parent / "out"
ROUNDS = 20


def _mail_parser_reply(text: str) -> str:
    replies = MultiLanguageParser(languages=list(LANGUAGES)).read(text).replies
    return replies[0].body if replies else ""


CANDIDATES: dict[str, Callable[[str], str]] = {
    "email-reply-parser 0.5.12": ZapierParser.parse_reply,
    "mail-parser-reply 1.36": _mail_parser_reply,
    "ours (mail-parser-reply + bot/email/split.py)": lambda text: split_mail(text).written,
}


def measure(mails: list[CorpusMail]) -> dict[str, dict]:
    bodies = [mail.body() for mail in mails]
    results = {}
    for name, written in CANDIDATES.items():
        passed = [questions(written(body)) == mail.questions for mail, body in zip(mails, bodies)]
        started = time.perf_counter()
        for _ in range(ROUNDS):
            for body in bodies:
                written(body)
        seconds = (time.perf_counter() - started) / (ROUNDS * len(bodies))
        by_format = Counter(mail.format for mail, ok in zip(mails, passed) if ok)
        failed = [mail.file for mail, ok in zip(mails, passed) if not ok]
        results[name] = {"passed": sum(passed), "by_format": by_format, "seconds": seconds, "failed": failed}
    return results


def plot(results: dict[str, dict], mails: list[CorpusMail]) -> Path:
    import matplotlib  # deferred: heavy, and only this report draws
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # deferred with matplotlib above
    formats = sorted(Counter(mail.format for mail in mails).items())
    fig, ax = plt.subplots(figsize=(11, 4))
    width = 0.8 / len(results)
    for offset, (name, result) in enumerate(results.items()):
        shares = [result["by_format"][fmt] / total for fmt, total in formats]
        ax.bar([i + offset * width for i in range(len(formats))], shares, width, label=f"{name}: {result['passed']}")
    ax.set_xticks([i + width for i in range(len(formats))], [f"{fmt}\n({total})" for fmt, total in formats])
    ax.set_ylabel("share of mails with exactly the expected questions")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(results))
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "email-split.png"
    fig.savefig(path, dpi=110)
    return path


def main() -> None:
    mails = corpus()
    results = measure(mails)
    baseline = results["email-reply-parser 0.5.12"]["seconds"]
    print(f"{len(mails)} mails in tests/support/mail\n")
    print(f"{'candidate':<48} {'passed':>8} {'time/mail':>10}")
    for name, result in results.items():
        print(f"{name:<48} {result['passed']:>5}/{len(mails)} {result['seconds'] / baseline:>9.1f}x")
    for name, result in results.items():
        print(f"\n{name} misses: {', '.join(result['failed']) or 'none'}")
    print(f"\nplot: {plot(results, mails)}; time as a ratio to email-reply-parser "
          f"({baseline * 1e3:.2f} ms per mail on this machine)")


if __name__ == "__main__":
    main()
