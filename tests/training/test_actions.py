"""Queueing training work: the admin and `manage.py train_model` go through training.actions, and
a worker is only handed a run or a build once the write that asks for it has committed."""


import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from training.actions import do_create_training_run, do_queue_dataset_build, do_resume_training_run
from training.models import DatasetVersion, TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """What reached the training queue: [(task name, args)], in order."""
    from simulator import dispatch

    sent = []
    monkeypatch.setattr(dispatch, "queue", lambda name, *args: sent.append((name.rpartition(".")[2], args)))
    return sent


@pytest.fixture
def dataset(tmp_path):
    return DatasetVersion.objects.create(version="ds-test", status=DatasetVersion.READY, path=str(tmp_path / "ds"))


def finished_run(dataset, **config):
    config = {"train": {"max_steps": 10}, **config}
    return TrainingRun.objects.create(
        dataset=dataset,
        config=config,
        status=TrainingRun.CANCELLED,
        step=4,
        max_steps=10,
        cancel_requested=True,
        finished_at=timezone.now(),
    )


def admin_action(client, user, model, action, pks):
    client.force_login(user)
    url = reverse(f"admin:training_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)


def test_a_run_is_queued_only_after_its_transaction_commits(
    admin_user, dataset, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = do_create_training_run(admin_user, config={"train": {"max_steps": 5}}, dataset=dataset, queue=True)
        assert queued == []
    assert queued == [("run_training", (run.pk,))]
    assert run.created_by == admin_user and run.max_steps == 5 and run.output_dir.endswith(f"run-{run.pk}")


def test_nothing_is_queued_when_the_write_is_rolled_back(admin_user, dataset, queued):
    with pytest.raises(RuntimeError), transaction.atomic():
        do_create_training_run(admin_user, config={}, dataset=dataset, queue=True)
        do_queue_dataset_build(admin_user, options={})
        raise RuntimeError("the caller fails after asking")
    assert queued == [] and not TrainingRun.objects.exists()


def test_a_run_created_without_queue_is_left_for_the_caller_to_train(
    dataset, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = do_create_training_run(None, config={}, dataset=dataset)
    assert queued == [] and run.status == TrainingRun.QUEUED


def test_resuming_requeues_the_run_from_a_clean_state(admin_user, dataset, queued, django_capture_on_commit_callbacks):
    run = finished_run(dataset)
    with django_capture_on_commit_callbacks(execute=True):
        do_resume_training_run(admin_user, run, config={"train": {"max_steps": 20}})
    run.refresh_from_db()
    assert (run.status, run.cancel_requested, run.finished_at, run.max_steps) == (TrainingRun.QUEUED, False, None, 20)
    assert run.config == {"train": {"max_steps": 20}} and run.step == 4
    assert queued == [("run_training", (run.pk,))]
    audit = AuditEvent.objects.get(event_type=AuditEvent.TRAINING_QUEUED)
    assert audit.actor == admin_user and audit.details == {"work": "training run resumed", "run": run.pk}


@pytest.mark.parametrize("persona", ["trainee", "supervisor", "outsider"])
def test_only_an_admin_may_queue_training_work(request, persona, dataset, queued, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)
    run = finished_run(dataset)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PermissionDenied):
            do_create_training_run(user, config={}, dataset=dataset, queue=True)
        with pytest.raises(PermissionDenied):
            do_resume_training_run(user, run)
        with pytest.raises(PermissionDenied):
            do_queue_dataset_build(user, options={})
    run.refresh_from_db()
    assert queued == [] and TrainingRun.objects.count() == 1 and run.status == TrainingRun.CANCELLED


def test_the_admin_queues_a_dataset_build_with_its_options(
    client, admin_user, dataset, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(client, admin_user, "datasetversion", "build_new_commercial", [dataset.pk])
    assert "Dataset build queued on the training queue." in response.content.decode()
    assert queued == [("build_dataset", ({"exclude_noncommercial": True}, admin_user.pk))]


def test_the_admin_starts_training_on_the_selected_dataset(
    client, admin_user, dataset, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(client, admin_user, "datasetversion", "start_training", [dataset.pk])
    run = TrainingRun.objects.get()
    assert f"Training run {run.pk} queued." in response.content.decode()
    assert run.dataset == dataset and run.config["dataset"]["version"] == "ds-test" and run.created_by == admin_user
    assert queued == [("run_training", (run.pk,))]


def test_the_admin_resumes_stopped_runs_and_leaves_active_ones_alone(
    client, admin_user, dataset, queued, django_capture_on_commit_callbacks
):
    stopped = finished_run(dataset)
    running = TrainingRun.objects.create(dataset=dataset, status=TrainingRun.RUNNING, step=2, max_steps=10)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(client, admin_user, "trainingrun", "resume", [stopped.pk, running.pk])
    assert "Resume queued." in response.content.decode()
    stopped.refresh_from_db()
    running.refresh_from_db()
    assert stopped.status == TrainingRun.QUEUED and not stopped.cancel_requested and stopped.finished_at is None
    assert running.status == TrainingRun.RUNNING
    assert queued == [("run_training", (stopped.pk,))]


def test_train_model_resume_with_queue_keeps_the_runs_settings_and_queues_it(
    dataset, queued, capsys, django_capture_on_commit_callbacks
):
    run = finished_run(dataset, lora={"r": 4})
    with django_capture_on_commit_callbacks(execute=True):
        call_command("train_model", resume=run.pk, queue=True, set=["train.max_steps=30"])
    run.refresh_from_db()
    assert run.config == {"train": {"max_steps": 30}, "lora": {"r": 4}} and run.max_steps == 30
    assert run.status == TrainingRun.QUEUED and run.finished_at is None
    assert queued == [("run_training", (run.pk,))]
    assert "queued on `training`" in capsys.readouterr().out
