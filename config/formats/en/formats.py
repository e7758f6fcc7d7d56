"""English dates, day first and compact: 8 Dec 2026 reads the same to every English reader,
where Django's "Dec. 8, 2026" and "March 31, 2027" read the US way, differed in length from
month to month and broke across lines on a phone. Times on a 24-hour clock, as in Chinese."""

DATE_FORMAT = "j M Y"  # 8 Dec 2026
DATETIME_FORMAT = "j M Y H:i"  # 8 Dec 2026 16:26
TIME_FORMAT = "H:i"  # 16:26
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-12-08
SHORT_DATETIME_FORMAT = "Y-m-d H:i"  # 2026-12-08 16:26
