import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Certification, Cohort, User, verify_audit_chain
from config.env import ConfigError, env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "PIXEL_PRODUCTION": "true",
    "PIXEL_SECRET_KEY": "x7-" + "k2Jq9vLm3Pz8Rw4Tn6Yb1Hc5Fd0Gs7Ua" * 2,
    "PIXEL_ALLOWED_HOSTS": "pixel.example.org",
    "PIXEL_AUDIT_KEY": "audit-" + "Qm4Zr8Tx2Lp6Vn0Kc3" * 2,
}


def run_manage(*args, env):
    # A fresh process configured only by `env` (the browser tests relax async safety in ours).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PIXEL_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_env_bool_refuses_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG")
    monkeypatch.setenv("X_FLAG", "false")
    assert env_bool("X_FLAG", True) is False


def test_env_int_refuses_junk(monkeypatch):
    monkeypatch.setenv("X_NUM", "fifteen")
    with pytest.raises(ConfigError, match="whole number"):
        env_int("X_NUM", 1)


def test_production_refuses_unsafe_defaults():
    result = run_manage("check", env={"PIXEL_PRODUCTION": "true"})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "PIXEL_SECRET_KEY" in result.stderr and "PIXEL_ALLOWED_HOSTS" in result.stderr
    assert "PIXEL_AUDIT_KEY" in result.stderr
    result = run_manage("check", env={**PROD_ENV, "PIXEL_DEBUG": "true"})
    assert result.returncode != 0 and "PIXEL_DEBUG is true" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Cohort.objects.count(), Certification.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Cohort.objects.count(), Certification.objects.count(), AuditEvent.objects.count()) == counts
    out = capsys.readouterr().out
    assert "trainee@demo.pixel" in out and "supervisor@demo.pixel" in out and "admin@demo.pixel" in out
    trainee = User.objects.get(email="trainee@demo.pixel")
    assert trainee.valid_certification("simulation") and trainee.valid_certification("crisis")
    assert Cohort.objects.get(name="Demo cohort").supervisors.get().email == "supervisor@demo.pixel"
    assert verify_audit_chain()[2] == ""


def test_seed_demo_refuses_in_production():
    result = run_manage("seed_demo", env=PROD_ENV)
    assert result.returncode != 0
    assert "demo accounts have public passwords" in result.stderr
