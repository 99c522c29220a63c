from django import template

from simulator.formats import human_duration

register = template.Library()


@register.filter
def duration(value):
    """{{ some_timedelta|duration }}: "28 s", "12 min", "1 h 5 min"."""
    return human_duration(value)
