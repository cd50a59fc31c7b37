"""Stripe as the database mirrors it: webhook events and `bot sync` applied to the mirror
(apply, follow), and what the mirror holds pushed to Stripe (push)."""
