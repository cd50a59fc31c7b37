"""The conversation test set of issue 28 and its runner (runner.py)."""
