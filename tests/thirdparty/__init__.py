"""The conformance suite against real third-party WebSocket servers (opt-in)."""
