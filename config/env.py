"""Typed readers for environment variables.

Settings read the environment once, here, and refuse values they cannot parse: a
typo such as PIXEL_PRODUCTION=ture must stop the process, not silently mean False.
"""

import os
from pathlib import Path


class ConfigError(Exception):
    pass


def env_str(name, default=""):
    """A string from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as e:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {e}") from e
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise ConfigError(f"{name} must be 'true' or 'false', not {value!r}")


def env_int(name, default, minimum=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None


def env_list(name, default=()):
    """Comma-separated values; blanks dropped."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def env_list_sep(name, default, sep=";"):
    """Values separated by `sep` (for lists whose items contain commas)."""
    value = os.environ.get(name, default)
    return [part.strip() for part in value.split(sep) if part.strip()]
