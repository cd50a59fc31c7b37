"""Operations: the `bot` command, starting the servers, seeding, the action server."""
