# One German date format everywhere (issue 22): 07.12.2026, and with the time
# 07.12.2026, 13:21 (local time, Europe/Berlin). Templates and messages name these
# formats (|date:"SHORT_DATE_FORMAT", date_format(value)) instead of spelling one out;
# config/tests/test_dates.py keeps literal human formats out of the templates. Everything
# not named here comes from Django's German locale.
DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y, H:i"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
