# The English UI speaks British English to readers used to German dates: day before
# month and a 24-hour clock, never the American 12/07/2026 (which reads as July).
# One format for dates (7 Dec 2026) and one with the time (7 Dec 2026, 13:21), as in
# German (config/formats/de).
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1
