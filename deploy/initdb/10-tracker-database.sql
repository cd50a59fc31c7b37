-- Rasa's tracker store lives beside the app database, in its own database.
CREATE DATABASE grouptrack_tracker OWNER grouptrack;
