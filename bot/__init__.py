"""GroupTrack support assistant core: refund rules, billing, storage, CLI."""
