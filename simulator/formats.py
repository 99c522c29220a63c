"""How Pixel writes times for people (issue 17): "28 s", "12 min", "1 h 5 min", never "0:00:28.732331"."""

from datetime import timedelta


def human_duration(value):
    """A session's length as a person would say it. VALUE is a timedelta or seconds; None is "—"."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
