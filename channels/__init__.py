"""Rasa input channels of our own, loaded by Rasa from credentials.yml."""
import sys

if "rasa.core.run" in sys.modules:  # a Rasa server is starting: only ever with our patches (bot/ops/rasa_patches.py)
    from bot.ops.rasa_patches import require_installed

    require_installed()
