"""The conversation set's pytest marker: `pytest -m conversations` runs only the set."""


def pytest_configure(config):
    config.addinivalue_line("markers", "conversations: the conversation test set of issue 28 (tests/conversations)")
