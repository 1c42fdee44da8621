"""Tests of the drivers (harness/driver), against loopback servers."""
