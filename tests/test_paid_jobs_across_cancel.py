"""A paid ModelsLab job is remembered the moment its submit's answer arrives, whatever
happened to the run meanwhile: Cancel, the node's deadline, or another image's failure,
at each phase of a batch (upload, submit with its answer held back, poll, download).
Paid calls are counted at the emulator (the jobs it created) across the run and the
re-run that collects them; after the run stops, nothing more is sent."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from object_removal.errors import Cancelled, JobTimeoutError, ObjectRemovalError
from object_removal.mask.parameters import MaskInputs
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
from object_removal.providers import modelslab as modelslab_provider
from object_removal.run_context import RunContext
from object_removal.text.removal import remove_by_text
from support import disc_mask, image_tensor, photo_with_object

WAIT = 60  # generous bounds on waits for the mechanism; no test measures speed by them
WORKER = "object-removal-http"
REFUSED = {"http_status": 400, "json": {"status": "error", "message": "refused for the test"}}


@dataclass(frozen=True)
class RemovalPath:
    """One way to a paid ModelsLab job: by object name, or by mask."""

    name: str
    submit: str
    fetch: str

    def coroutine(self, images, ctx: RunContext, settings, timeout: float = 60):
        if self.name == "text":
            return remove_by_text(images, "sofa", wait=True, timeout=timeout, ctx=ctx,
                                  settings=settings)
        options = MaskRemovalOptions(provider="modelslab",
                                     inputs=MaskInputs(seed=5, dilate_size=3))
        mask = disc_mask(images.shape[1], images.shape[2], 30, 34, 9)
        return remove_by_mask(images, mask, options, ctx, settings=settings)


PATHS = [RemovalPath("text", "ml_submit", "ml_fetch"),
         RemovalPath("mask", "ml_mask_submit", "ml_mask_fetch")]
PHASES = ["upload", "submit", "poll", "download"]


class Background:
    """An engine run on an event loop of its own in another thread, as ComfyUI runs a
    node, so the test can press Cancel and move the emulator meanwhile."""

    def __init__(self, make) -> None:
        self.statuses: list[str] = []
        self.ctx = RunContext(on_status=self.statuses.append)
        self._outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(make,), daemon=True)
        self._thread.start()

    def _run(self, make) -> None:
        try:
            self._outcome["value"] = asyncio.run(make(self.ctx))
        except BaseException as exc:  # handed to the test
            self._outcome["error"] = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self):
        self._thread.join(WAIT)
        assert not self._thread.is_alive(), "the run did not end"
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


def until(condition, what: str) -> None:
    give_up = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < give_up, f"never happened: {what}"
        time.sleep(0.01)


def workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == WORKER}


def sent(emulator) -> Counter:
    return Counter(r.endpoint for r in emulator.requests())


def photos(count: int):
    return image_tensor(*(photo_with_object(64, 80, seed=11 + s) for s in range(count)))


def collect_again(path: RemovalPath, images, settings, emulator):
    """The re-run a user makes after Cancel or a failure (nothing scripted any more): its
    output image."""
    emulator.behaviour.job_seconds = 0.2
    result = asyncio.run(path.coroutine(images, RunContext(), settings))
    return result[0] if path.name == "text" else result


def arrange_cancel(emulator, path: RemovalPath, phase: str):
    """Make the single image's run sit in `phase`; returns when it is there."""
    if phase == "upload":
        emulator.script("ml_upload", hold=True)
        return lambda: emulator.held("ml_upload") == 1
    if phase == "submit":
        emulator.script(path.submit, hold=True)
        return lambda: emulator.held(path.submit) == 1
    if phase == "poll":
        emulator.behaviour.job_seconds = 2.5
        return lambda: len(emulator.requests(path.fetch)) >= 1
    emulator.behaviour.job_seconds = 0
    emulator.script("cdn", hold=True)
    return lambda: emulator.held("cdn") == 1


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_cancel_at_each_phase_loses_no_paid_job_and_sends_nothing_more(
        settings, emulator, path, phase):
    images = photos(1)
    before = workers()
    there = arrange_cancel(emulator, path, phase)
    run = Background(lambda ctx: path.coroutine(images, ctx, settings))
    until(there, f"the run is at its {phase}")
    run.ctx.cancel()
    with pytest.raises(Cancelled) as cancelled:
        run.result()
    at_cancel = sent(emulator)
    paid_before_answer = phase == "submit"
    if paid_before_answer:  # the answer has not come: say a paid job may exist
        assert "may exist and be billed" in str(cancelled.value)
        assert "queue the same workflow (or run the same command) again" in str(
            cancelled.value)
        assert "may exist and be billed" in run.statuses[-1]
    else:
        assert "billed" not in str(cancelled.value)

    emulator.release()  # the held answer arrives after the run stopped waiting
    until(lambda: not (workers() - before), "the run's threads end")
    assert sent(emulator) == at_cancel  # nothing more was sent after Cancel
    assert emulator.jobs_created() == (0 if phase == "upload" else 1)

    assert collect_again(path, images, settings, emulator).shape == images.shape
    assert emulator.jobs_created() == 1  # one paid job across the run and the re-run
    assert len(emulator.requests(path.submit)) == 1


def arrange_sibling_failure(emulator, path: RemovalPath, phase: str):
    """Two images: one sits in `phase` when the other's request is refused. Returns
    (when the first is there, what makes the other fail then)."""
    if phase in ("upload", "submit"):
        endpoint = "ml_upload" if phase == "upload" else path.submit
        emulator.script(endpoint, hold=True)  # whichever arrives first waits ...
        emulator.script(endpoint, **REFUSED)  # ... and the other is refused meanwhile
        return (lambda: emulator.held(endpoint) == 1), (lambda: None)
    emulator.script("ml_upload")  # the first upload goes through ...
    emulator.script("ml_upload", hold=True, **REFUSED)  # ... the next fails when released
    if phase == "poll":
        emulator.behaviour.job_seconds = 2.5
        first_there = lambda: len(emulator.requests(path.fetch)) >= 1  # noqa: E731
    else:
        emulator.behaviour.job_seconds = 0
        emulator.script("cdn", hold=True)
        first_there = lambda: emulator.held("cdn") == 1  # noqa: E731
    return (lambda: first_there() and emulator.held("ml_upload") == 1,
            lambda: emulator.release("ml_upload"))


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_a_siblings_failure_at_each_phase_loses_no_paid_job(settings, emulator, path, phase):
    images = photos(2)
    before = workers()
    there, fail_the_other = arrange_sibling_failure(emulator, path, phase)
    run = Background(lambda ctx: path.coroutine(images, ctx, settings))
    until(there, f"one image is at its {phase}")
    fail_the_other()
    with pytest.raises(ObjectRemovalError, match="refused for the test") as failed:
        run.result()
    stopped = sent(emulator)
    if phase == "submit":  # the held submit's answer has not come yet
        assert "may exist and be billed" in str(failed.value)
    emulator.release()
    until(lambda: not (workers() - before), "the run's threads end")
    assert sent(emulator) == stopped  # nothing more was sent after the run failed
    assert emulator.jobs_created() == (0 if phase == "upload" else 1)

    collect_again(path, images, settings, emulator)
    assert emulator.jobs_created() == 2  # one paid job per image, none twice


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_a_submit_answered_after_the_deadline_is_kept_and_collected(
        settings, emulator, monkeypatch, path):
    monkeypatch.setattr(modelslab_provider, "JOB_WAIT_SECONDS", 2)
    images = photos(1)
    before = workers()
    emulator.behaviour.job_seconds = 0.2  # ready by the re-run, which waits 2 s too (mask)
    emulator.script(path.submit, hold=True)
    run = Background(lambda ctx: path.coroutine(images, ctx, settings, timeout=2))
    until(lambda: emulator.held(path.submit) == 1, "the submit's answer is held")
    with pytest.raises(JobTimeoutError) as timed_out:
        run.result()
    if path.name == "text":
        assert "may exist and be billed" in str(timed_out.value)
        assert "modelslab:@" not in str(timed_out.value)  # no handle without a job id
    assert emulator.held(path.submit) == 1  # the node stopped waiting; the answer comes later
    emulator.release()
    until(lambda: not (workers() - before), "the submit's thread ends")
    collect_again(path, images, settings, emulator)
    assert emulator.jobs_created() == 1 and len(emulator.requests(path.submit)) == 1


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_queueing_again_before_the_answer_came_waits_for_it_instead_of_paying_again(
        settings, emulator, path):
    images = photos(1)
    emulator.script(path.submit, hold=True)
    first = Background(lambda ctx: path.coroutine(images, ctx, settings))
    until(lambda: emulator.held(path.submit) == 1, "the submit's answer is held")
    first.ctx.cancel()
    with pytest.raises(Cancelled):
        first.result()

    emulator.behaviour.job_seconds = 0.2
    again = Background(lambda ctx: path.coroutine(images, ctx, settings))
    until(lambda: any("waiting for the answer to an earlier submit" in s
                      for s in again.statuses), "the re-run waits for the answer")
    assert not again.done() and len(emulator.requests(path.submit)) == 1
    emulator.release()
    again.result()
    assert emulator.jobs_created() == 1 and len(emulator.requests(path.submit)) == 1


def test_identical_images_of_one_batch_make_one_paid_job(settings, emulator):
    emulator.behaviour.job_seconds = 0.2
    images = photos(1).repeat(3, 1, 1, 1)
    asyncio.run(remove_by_text(images, "sofa", wait=True, timeout=60, ctx=RunContext(),
                               settings=settings))
    assert emulator.jobs_created() == 1


def test_the_command_line_keeps_a_job_whose_answer_comes_after_its_timeout(
        settings, emulator, tmp_path, monkeypatch, capsys):
    """The process would end and lose the answer: it waits for it first."""
    from PIL import Image

    from object_removal import cli

    photo = tmp_path / "room.png"
    Image.fromarray(photo_with_object(64, 80, seed=3)).save(photo)
    emulator.script("ml_submit", hold=True)
    waited = []

    def answer_once_the_command_waits(seconds: float) -> bool:
        waited.append(emulator.held("ml_submit"))
        emulator.release()  # the answer comes after the command's own timeout
        return real_wait(seconds)

    real_wait = cli.wait_for_submit_answers
    monkeypatch.setattr(cli, "wait_for_submit_answers", answer_once_the_command_waits)
    command = ["modelslab", str(photo), "--object", "sofa", "--timeout", "1",
               "-o", str(tmp_path / "out.png")]
    assert cli.main(command) == 1
    err = capsys.readouterr().err
    assert waited == [1]  # it waited while the answer was still held
    assert "may exist and be billed" in err and "kept: run the same command again" in err
    emulator.behaviour.job_seconds = 0.2
    command[command.index("--timeout") + 1] = "30"
    assert cli.main(command) == 0, capsys.readouterr().err
    assert emulator.jobs_created() == 1 and (tmp_path / "out.png").is_file()


def test_after_a_restart_paid_work_is_collected_not_paid_again(settings, emulator, tmp_path):
    """Two processes in turn, as ComfyUI before and after a restart: the second finds the
    job and the result the first paid for on disk."""
    import os
    import subprocess
    import sys

    from PIL import Image

    from support import PACK_DIR, photo_like

    photo, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    Image.fromarray(photo_with_object(64, 80, seed=21)).save(photo)
    Image.fromarray(photo_like(64, 80, seed=22)).save(tmp_path / "other.png")
    Image.fromarray((disc_mask(64, 80, 30, 34, 9).numpy() * 255).astype("uint8")).save(mask)
    environment = {**os.environ}  # the test's settings: the emulator, its keys, the cache

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(PACK_DIR / "remove_objects.py"), *args],
                              env=environment, capture_output=True, text=True, timeout=120)

    emulator.behaviour.job_seconds = 3
    by_name = ["modelslab", str(photo), "--object", "sofa", "-o", str(tmp_path / "a.png")]
    assert command(*by_name, "--timeout", "1").returncode == 1  # it outlived the wait
    by_mask = ["ailab", str(tmp_path / "other.png"), "--mask", str(mask), "-o",
               str(tmp_path / "b.png")]
    assert command(*by_mask).returncode == 0
    emulator.behaviour.job_seconds = 0
    second = command(*by_name, "--timeout", "30", "--overwrite")
    assert second.returncode == 0, second.stderr
    assert command(*by_mask, "--overwrite").returncode == 0
    assert emulator.jobs_created() == 1 and len(emulator.requests("ailab")) == 1
