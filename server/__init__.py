"""Jaring's server: the OpenRosa and ODK Central API over SQLite or PostgreSQL."""
