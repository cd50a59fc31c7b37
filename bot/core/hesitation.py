"""The sounds people make before they say what they mean ("hmm", "um", "uh", "er", "ah"): one
pattern, read by the intent classifier (a leading sound is not read, nlu/text_model.py) and by the
clause splitter (a clause that is only filler asks nothing, bot/core/clauses.py)."""
from __future__ import annotations

# Sounds, never words: "well done", "oh no" and "ok do it" mean something.
HESITATION_SOUND = r"(?:h*m{2,}|h+m+|u+h*m+|u+h+|e+r+m*|a+h+)"
