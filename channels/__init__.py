"""Rasa input channels of our own, loaded by Rasa from credentials.yml."""
import sys

from bot.ops.rasa_tuning import install as _tune_rasa

_tune_rasa()  # every Rasa server we start loads this package first (bot/ops/rasa_tuning.py)
if "rasa.core.actions.action" in sys.modules:  # a Rasa server, not a process that only uses a channel
    from bot.ops.rasa_session import install as _start_sessions_our_way

    _start_sessions_our_way()
