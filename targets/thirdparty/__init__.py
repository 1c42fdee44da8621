"""Launchers for third-party WebSocket servers the project tests against."""
