"""Complaint backend: reports, status workflow, Open311 and attachments."""
