"""Placeholder: the announcement mails are being written."""
