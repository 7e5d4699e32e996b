"""Use cases that join the pure survey domain to storage: installing surveys, startup, submissions."""
