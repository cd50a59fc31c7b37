"""The agent console: a small web application where support agents work review cases."""
