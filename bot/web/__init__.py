"""The web applications people use: the agent console, the help widget and its relay."""
