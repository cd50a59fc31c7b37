"""Telling people things later: the customer on their own channel (through Rasa's
conversation API), and the support team in Slack."""
