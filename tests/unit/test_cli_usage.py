"""The `bot` command as a newcomer meets it: help when nothing is asked, one-line errors that
name the command and the option meant, options that say what they take."""
from __future__ import annotations

import time

import jwt
import pytest

from bot.core.domain import Reason
from bot.ops.cli import build_parser, main
from bot.settings import settings


def bot(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_bot_alone_prints_its_commands_not_an_error(capsys):
    code, out, err = bot(capsys)
    assert code == 0 and err == ""
    assert out.startswith("usage: bot") and all(f"    {command} " in out for command in ("run", "chat", "token"))
    assert "`bot COMMAND --help`" in out


def test_a_command_group_alone_prints_its_commands(capsys):
    code, out, err = bot(capsys, "agent")
    assert code == 0 and err == "" and out.startswith("usage: bot agent") and "create" in out


@pytest.mark.parametrize("args, expected", [
    (["run", "--prot", "5705"], "bot run: unrecognized arguments: --prot 5705 (did you mean --port?); "
                                "see bot run --help"),
    (["run", "--widgetport=5190"], "bot run: unrecognized arguments: --widgetport=5190 (did you mean --widget-port?)"),
    (["token", "ana@example.com", "--tll", "60"], "bot token: unrecognized arguments: --tll 60 (did you mean --ttl?)"),
    (["run", "--verbose"], "bot run: unrecognized arguments: --verbose; see bot run --help"),  # nothing close
    (["decide", "--email", "a@b.c"], "bot decide: the following arguments are required: --reason, --now"),
    (["nonsense"], "bot: argument COMMAND: invalid choice: 'nonsense'"),
])
def test_a_usage_error_is_one_line_naming_the_command_once_with_the_option_meant(capsys, args, expected):
    code, out, err = bot(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith(expected) and err.count("\n") == 1
    assert "bot: bot" not in err


def test_every_option_of_run_says_what_it_is_and_its_default():
    run = build_parser()._subparsers._group_actions[0].choices["run"]
    options = [action for action in run._actions if action.option_strings and action.dest != "help"]
    assert {"--port", "--actions-port", "--stripe-port", "--console-port", "--widget-port", "--seed"} <= {
        action.option_strings[0] for action in options}
    assert all(action.help and "default" in action.help for action in options), [
        action.option_strings for action in options if not (action.help and "default" in action.help)]


def test_decide_lists_the_reasons_it_takes(capsys):
    with pytest.raises(SystemExit):
        main(["decide", "--help"])
    shown = capsys.readouterr().out
    assert all(reason.value in shown for reason in Reason)


def test_token_says_its_lifetime_is_in_seconds_and_what_it_is_by_default(capsys):
    with pytest.raises(SystemExit):
        main(["token", "--help"])
    assert "--ttl SECONDS" in capsys.readouterr().out.replace("\n", " ")


@pytest.mark.parametrize("ttl, problem", [("-5", "already expired"), ("0", "already expired"),
                                          ("soon", "not a whole number of seconds")])
def test_a_token_that_would_be_born_expired_is_refused(capsys, ttl, problem):
    code, out, err = bot(capsys, "token", "ana@example.com", "--ttl", ttl)
    assert code == 2 and out == "" and err.startswith("bot token: argument --ttl: ") and problem in err


def test_a_token_lives_for_the_seconds_asked(capsys):
    code, out, _ = bot(capsys, "token", "ana@example.com", "--ttl", "90")
    claims = jwt.decode(out.strip(), settings().customer_token_secret, algorithms=["HS256"])
    assert code == 0 and claims["email"] == "ana@example.com" and abs(claims["exp"] - (time.time() + 90)) < 5
