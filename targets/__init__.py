"""Servers: the reference server, example profiles, deliberately faulty servers."""
