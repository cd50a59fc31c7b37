"""Rasa components of our own for understanding customers' messages (`config.yml` names them).

They depend on Rasa, so they live outside `bot/`; `make bench-nlu` chose them (README,
"Understanding").
"""
