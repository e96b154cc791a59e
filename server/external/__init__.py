"""Adapters to things outside Jaring's own code: pyxform, ODK Validate, the blob store."""
