"""Example target profiles (TOML), shipped with the package.

``reference.toml`` is what ``pytest --target=reference`` runs the reference
server with; ``reference-full.toml`` switches every policy on;
``reference-opaque-token.toml`` guards the endpoint with an opaque token.
"""

from pathlib import Path

#: The folder holding the example profiles.
PROFILES_DIR = Path(__file__).resolve().parent

#: The profile of the reference server as the suite runs it by default.
REFERENCE_PROFILE = PROFILES_DIR / "reference.toml"

__all__ = ["PROFILES_DIR", "REFERENCE_PROFILE"]
