"""Uploaded documents themselves: what a file must be to be accepted (upload_checks) and whether
a stored picture is good enough for the office to read (quality). Pure checks on bytes, with no
database and no Flask: the documents service stores, records and schedules them."""
