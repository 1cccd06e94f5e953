"""``vidoc batch``: inputs read one record at a time, the batch function, the resume-safe sink, stop signals,
local and Ray engines."""
