"""Mail as customers write it, split into what they wrote now, their signature and the
quoted history; the corpus (tests/support/mail) is the specification."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.email.channel import parse_mailgun, parse_raw
from bot.email.html_text import html_to_text
from bot.email.split import MAX_QUESTIONS, MAX_TEXT, questions, split_mail
from tests.support.mail_corpus import corpus

CORPUS = corpus()


def test_the_corpus_covers_every_format_with_and_without_questions_after_the_signature():
    formats = {mail.format for mail in CORPUS}
    assert len(CORPUS) >= 40
    assert {"plain", "gmail", "outlook", "apple", "mobile", "signature", "footer", "forwarded", "html",
            "multipart", "non-english"} <= formats
    files = {mail.file for mail in CORPUS}
    assert any("ps-question-after-signature" in f for f in files)
    assert any("tagline-question-in-signature" in f for f in files)


@pytest.mark.parametrize("mail", CORPUS, ids=lambda mail: mail.file)
def test_each_mail_gives_exactly_its_questions(mail):
    written = parse_raw(mail.raw).text
    assert questions(written) == mail.questions
    assert not any(line.startswith(">") for line in written.splitlines()), written
    assert "support@grouptrack.example" not in written and "Sent from my" not in written, written


def test_the_three_parts():
    parts = split_mail("Can I export my data?\n\nKind regards,\nRobert Chen\nTel: +1 415 555 0134\n\n"
                       "On Wed, Dec 2, 2026 at 9:12 AM GroupTrack Support <support@grouptrack.example> wrote:\n"
                       "> Hello,\n> Your plan renews on 12 December.\n")
    assert parts.written == "Can I export my data?"
    assert parts.signature.startswith("Kind regards,") and "+1 415 555 0134" in parts.signature
    assert parts.history.startswith("On Wed, Dec 2, 2026") and parts.history.endswith("renews on 12 December.")


@pytest.mark.parametrize("text, written", [
    # a sign-off in a language without a word list here: a short line with a comma, then a name
    ("Can I pay yearly?\n\nDziękuję bardzo,\nAnna Nowak\n", "Can I pay yearly?"),
    # a one-word reply is not a name
    ("Hi,\n\nYes\n\nJohn\n", "Hi,\n\nYes"),
    # "From:" and "To:" with no address, year or time are the customer's words, not a quoted header
    ("Please move us\nFrom: Starter\nTo: Pro\n", "Please move us\nFrom: Starter\nTo: Pro"),
    # a question below the signature stays; a tagline with a link does not
    ("Can I change plan?\n\nThanks,\nAmy\n\nP.S. how do I export my data?\n",
     "Can I change plan?\n\nhow do I export my data?"),
    ("Is the fee 5%?\n\nAmy Lee\nAcme Ltd\n\nTired of spreadsheets? Try acme.example today\n", "Is the fee 5%?"),
    # a quote without any attribution line
    ("Why?\n\n> We charged your card.\n", "Why?"),
])
def test_what_the_customer_wrote_now(text, written):
    assert split_mail(text).written == written


def test_an_answer_below_the_quote_is_found():
    parts = split_mail("On 02.12.26 09:02, GroupTrack Support wrote:\n> Shall I cancel?\n\nYes, please.\n\nFelix\n")
    assert parts.written == "Yes, please." and parts.history.startswith("On 02.12.26")


def test_a_huge_mail_is_read_in_its_first_part_only_and_quickly():
    started = time.perf_counter()
    parts = split_mail("How long is the trial?\n" + "On a b c d e f wrote " * 200_000)
    assert time.perf_counter() - started < 1  # 6 s before long lines were kept from the header patterns
    assert parts.written.startswith("How long is the trial?") and len(parts.written) <= MAX_TEXT


FORWARD = ("---------- Forwarded message ---------\nFrom: Sam Lee <sam@agency.example>\n"
           "Date: Wed, Dec 2, 2026 at 4:02 PM\nSubject: Billing\nTo: Kai <kai@example.com>\n\n"
           "Hi Kai, do we pay for the whole year up front?\n\nSam\n")


@pytest.mark.parametrize("above, written", [
    ("Can you answer this one?\n\nKai\n\n", "Hi Kai, do we pay for the whole year up front?"),
    ("Hi, my colleague asks below. And what plan am I on?\n\n",
     "And what plan am I on?\n\nHi Kai, do we pay for the whole year up front?"),
    ("", "Hi Kai, do we pay for the whole year up front?"),  # nothing written: the forward is the question
    ("What plan am I on?\n\n", "What plan am I on?"),       # not pointed at: the forward is only history
])
def test_a_forwarded_question_is_the_customers_when_they_point_at_it(above, written):
    assert split_mail(above + FORWARD).written == written


def test_a_forward_nested_in_forwards_is_read_one_level_deep_and_quickly():
    started = time.perf_counter()
    parts = split_mail("see below\n\n" + ("see below, can you answer this?\n\n" + FORWARD) * 500)
    assert time.perf_counter() - started < 1
    # The first forward's own words pointing further down are not a question of the customer's.
    assert questions(parts.written) == ["Hi Kai, do we pay for the whole year up front?"]


def test_questions_are_sentences_that_ask_or_tell_something():
    text = ("Hello GroupTrack team,\n\nI hope this email finds you well.\n\nA few questions:\n"
            "1. How long is the trial?\n2) Is there a fee\n   on refunds?\n- what plan am I on\n\n"
            "Thanks in advance!\n\nThat's all I needed.")
    assert questions(text) == ["How long is the trial?", "Is there a fee on refunds?", "what plan am I on"]
    assert questions("hello how do i get a copy of my data") == ["hello how do i get a copy of my data"]
    assert len(questions("\n\n".join(f"Question {n}?" for n in range(9)))) == MAX_QUESTIONS


def test_a_name_after_the_question_on_its_line_is_no_question():
    """'... for nonprofits? Eve' gave 'Eve' to the terms, which quoted their indemnity clause."""
    assert questions("Hi, how much is the refund fee? Eve") == ["Hi, how much is the refund fee?"]
    assert questions("Is the fee 5%? Anna Maria") == ["Is the fee 5%?"]
    assert questions("How much is Starter? Pro?") == ["How much is Starter?", "Pro?"]
    assert questions("Can I pay yearly? Also I never used it.") == ["Can I pay yearly?", "Also I never used it."]


def test_html_becomes_the_text_its_client_would_have_sent():
    text = html_to_text('<html><head><style>p {color: red}</style><title>x</title></head><body>'
                        '<div>Is it 5&nbsp;% &amp; fair?</div><div><br></div><p>Second&#39;s line</p>'
                        '<div id="Signature">Tom<br>CFO</div><blockquote type="cite">On Mon, X wrote:'
                        '<blockquote>older</blockquote></blockquote><script>alert(1)</script></body></html>')
    assert text == ("Is it 5 % & fair?\n\nSecond's line\n\n--\nTom\nCFO\n> On Mon, X wrote:\n> > older")
    assert html_to_text("") == html_to_text("<style>x</style>") == ""


def test_html_only_mail_and_the_date_it_was_written():
    raw = (b"From: Ana <ana@example.com>\r\nSubject: Trial\r\nMessage-ID: <h1@example.com>\r\n"
           b"Date: Wed, 02 Dec 2026 10:15:00 -0800\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<div>How long is the trial?</div><div class=\"gmail_signature\">Ana Lima<br>+1 555 0100</div>")
    mail = parse_raw(raw)
    assert mail.text == "How long is the trial?"
    assert mail.written_at == datetime(2026, 12, 2, 10, 15, tzinfo=timezone(timedelta(hours=-8)))
    assert parse_raw(raw.replace(b"Wed, 02 Dec 2026 10:15:00 -0800", b"yesterday-ish")).written_at is None
    assert parse_raw(raw.replace(b"Date: Wed, 02 Dec 2026 10:15:00 -0800\r\n", b"")).written_at is None


def test_mailgun_fields_html_only_and_the_date_from_its_headers():
    mail = parse_mailgun({"sender": "ana@example.com", "body-html": "<p>Refund?</p><p>Thanks,<br>Ana</p>",
                          "message-headers": '[["Date", "Wed, 02 Dec 2026 10:15:00 +0100"]]'})
    assert mail.text == "Refund?" and mail.written_at.utcoffset() == timedelta(hours=1)
    # Mailgun's own stripped text is the last resort, when it sent no body at all
    assert parse_mailgun({"sender": "ana@example.com", "stripped-text": "Trial?"}).text == "Trial?"
