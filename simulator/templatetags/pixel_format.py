from django import template

from modelserve.serving import model_label as _model_label
from simulator.formats import human_duration

register = template.Library()


@register.filter
def duration(value):
    """{{ some_timedelta|duration }}: "28 s", "12 min", "1 h 5 min"."""
    return human_duration(value)


@register.filter
def model_label(value):
    """{{ session.model_name|model_label }}: the registry's name, never a server file path."""
    return _model_label(value)


@register.filter
def key_label(value):
    """{{ "emotional_reactions"|key_label }}: "Emotional reactions" (a data key as a label)."""
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]
