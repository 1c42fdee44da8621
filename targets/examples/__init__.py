"""Example servers shaped like the ones server authors write, each with the
target profile that describes it (see each folder's README)."""
