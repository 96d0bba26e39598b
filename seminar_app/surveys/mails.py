"""Placeholder: the survey mails are being written."""
