"""seed_demo prints the address the demo server will be reached at, not always port 8000 (issue 17)."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.django_db
def test_seed_demo_prints_the_address_it_is_given(capsys):
    call_command("seed_demo", url="http://127.0.0.1:8765/")
    out = capsys.readouterr().out
    assert "sign in at http://127.0.0.1:8765/ " in out
    assert ":8000" not in out


@pytest.mark.django_db
def test_seed_demo_refuses_an_address_that_is_not_one_and_seeds_nothing():
    with pytest.raises(CommandError, match="not an http:// or https:// address"):
        call_command("seed_demo", url="port 8765")
    assert not User.objects.exists()


def test_readme_first_command_prints_the_port_it_serves_on():
    # The first command of the README seeds and then starts the server: the address seed_demo
    # prints must be the one runserver then listens on.
    command = next(line for line in README.read_text().splitlines() if "manage.py seed_demo" in line)
    printed = re.search(r"seed_demo --url http://([\d.]+):(\d+)/", command)
    served = re.search(r"runserver ([\d.]+):(\d+)", command)
    assert printed and served, command
    assert printed.groups() == served.groups()
