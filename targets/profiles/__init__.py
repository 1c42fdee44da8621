"""Example target profiles (TOML), shipped with the package.

``reference.toml`` is what ``pytest --target=reference`` runs the reference
server with; ``reference-full.toml`` switches every policy on;
``reference-opaque-token.toml`` guards the endpoint with an opaque token and
requires a subprotocol. :data:`PROFILES` names them; a deliberate fault of
:mod:`wsspec.targets.faulty` names the one its rule needs.
"""

from pathlib import Path

#: The folder holding the example profiles.
PROFILES_DIR = Path(__file__).resolve().parent

#: The profile of the reference server as the suite runs it by default.
REFERENCE_PROFILE = PROFILES_DIR / "reference.toml"

#: Every example profile by its short name.
PROFILES: dict[str, Path] = {
    "reference": REFERENCE_PROFILE,
    "full": PROFILES_DIR / "reference-full.toml",
    "opaque-token": PROFILES_DIR / "reference-opaque-token.toml",
}

__all__ = ["PROFILES", "PROFILES_DIR", "REFERENCE_PROFILE"]
