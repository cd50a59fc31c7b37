"""rasa-sdk actions: thin translations between the conversation and the `bot` core."""
