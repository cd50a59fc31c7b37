"""The first start as a newcomer sees it: training as one line per stage and our classifier's
progress, not Rasa's 37 KB of redrawn progress bars (and everything, once, when it fails);
no warning about a Slack channel nobody set up."""
from __future__ import annotations

import logging
import sys
import textwrap

import pytest

from bot.ops.model import training_stage
from bot.ops.stages import StageFailed, final_state, run_in_stages

# As `rasa train` writes them (2026-12-06, rasa 3.6.21).
RASA = "2026-12-06 05:35:11 INFO     {logger}  - {message}"
CHILD = textwrap.dedent("""
    import sys, warnings
    print("2026-12-06 05:34:42 INFO     rasa.cli.train  - Started validating domain and training data...")
    print("2026-12-06 05:35:11 INFO     rasa.engine.training.hooks  - Starting to train component 'TEDPolicy'.")
    for epoch in range(1, 41):
        sys.stdout.write(f"\\rEpochs: {epoch * 100 // 40}%|##| {epoch}/40 [00:0{epoch % 10}<00:00, t_loss=1.2]")
    print()
    warnings.warn("You have defined training data consisting of entity examples")
    print("2026-12-06 05:36:28 INFO     nlu.classifier  - embedding 2006 training messages ...")
    print("\\x1b[92mYour Rasa model is trained and saved at 'models/x.tar.gz'.\\x1b[0m")
    sys.stdout.flush()
    if len(sys.argv) > 1:
        raise RuntimeError("the intent classifier ran out of memory")
""")


@pytest.mark.parametrize("line, shown", [
    (RASA.format(logger="rasa.cli.train", message="Started validating domain and training data..."),
     "  checking the training data"),
    (RASA.format(logger="rasa.engine.training.hooks", message="Starting to train component 'TEDPolicy'."),
     "  training the dialogue policy (TEDPolicy)"),
    (RASA.format(logger="rasa.engine.training.hooks", message="Starting to train component 'CustomThing'."),
     "  training CustomThing"),
    (RASA.format(logger="nlu.classifier", message="embedded 2006 messages in 14 s"),
     "    embedded 2006 messages in 14 s"),
    (RASA.format(logger="rasa.engine.training.hooks", message="Finished training component 'TEDPolicy'."), None),
    (RASA.format(logger="rasa.validator", message="Validating intents..."), None),
    ("Processed actions: 19it [00:00, 13479.66it/s, # examples=19]", None),
    ("2026-12-06 05:35:11 ERROR    rasa.engine.graph  - Node 'train_TEDPolicy3' failed",
     "2026-12-06 05:35:11 ERROR    rasa.engine.graph  - Node 'train_TEDPolicy3' failed"),
])
def test_only_stages_our_progress_and_errors_are_shown(line, shown):
    assert training_stage(line) == shown


def test_a_redrawn_progress_bar_is_kept_as_its_last_state_without_colours():
    assert final_state(b"\rEpochs: 0%|  | 0/40\rEpochs: 100%|##| 40/40\r\n") == "Epochs: 100%|##| 40/40"
    assert final_state(b"\x1b[92mYour Rasa model is trained\x1b[0m\n") == "Your Rasa model is trained"
    assert final_state(b"\r\n") == ""


def test_training_shows_one_line_per_stage_and_keeps_everything_in_its_log(tmp_path, capfd):
    log = tmp_path / "train.log"
    run_in_stages([sys.executable, "-c", CHILD], stage=training_stage, log=log, what="training")
    out, err = capfd.readouterr()
    assert out.splitlines() == ["  checking the training data", "  training the dialogue policy (TEDPolicy)",
                                "    embedding 2006 training messages ..."]
    assert err == ""
    kept = log.read_text()
    assert "Epochs: 100%|##| 40/40" in kept and kept.count("Epochs:") == 1  # the bar's last state only
    assert "UserWarning: You have defined training data" in kept and "Your Rasa model is trained" in kept


def test_a_failed_training_shows_its_whole_output_and_says_where_it_is_kept(tmp_path, capfd):
    log = tmp_path / "train.log"
    with pytest.raises(StageFailed, match=rf"training failed \(exit 1\); its whole output is above and in {log}"):
        run_in_stages([sys.executable, "-c", CHILD, "fail"], stage=training_stage, log=log, what="training")
    _, err = capfd.readouterr()
    assert "Traceback" in err and "RuntimeError: the intent classifier ran out of memory" in err
    assert "UserWarning" in err and err.count("Epochs:") == 1 and err.strip() == log.read_text().strip()


@pytest.mark.parametrize("environment, warned", [({}, False), ({"SLACK_BOT_TOKEN": "xoxb-1"}, True)])
def test_slack_warns_only_when_it_is_half_set_up(monkeypatch, caplog, environment, warned):
    from channels.slack import CustomerSlackInput  # deferred: it loads Rasa's Slack channel
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.DEBUG, logger="channels.slack"):
        CustomerSlackInput.from_credentials({})
    assert any("SLACK_SIGNING_SECRET is not set" in r.message and r.levelno == logging.WARNING
               for r in caplog.records) is warned
