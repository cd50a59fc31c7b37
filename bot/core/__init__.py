"""Pure rules and domain: plain data, the refund rules R0-R8, money, policy, plans and
wording. No I/O, no clock, nothing from the rest of the project (tests/unit/test_layers.py)."""
