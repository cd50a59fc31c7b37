"""`python -m tests.conversations`: the conversation test set (runner.py says how)."""
import sys

from tests.conversations.runner import main

sys.exit(main())
