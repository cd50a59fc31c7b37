"""Use cases: what the assistant, the console and the command line ask for. Each opens a
unit of work, asks the core, and hands money to the billing ledger."""
