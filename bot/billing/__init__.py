"""Money: the exactly-once ledger, the Stripe gateway, reconciliation, and the mirror of Stripe."""
