"""Email as a channel: inbound mail parsed and threaded, outbound mail, IMAP polling."""
