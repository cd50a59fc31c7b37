"""Rasa input channels of our own, loaded by Rasa from credentials.yml."""
from bot.ops.rasa_tuning import install as _tune_rasa

_tune_rasa()  # every Rasa server we start loads this package first (bot/ops/rasa_tuning.py)
