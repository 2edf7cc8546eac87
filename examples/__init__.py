"""Bundled examples (data only): the evidence repository and its scripted history."""
