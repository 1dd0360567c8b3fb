"""Two real ComfyUI servers sharing one Redis (the first two of COMFYUI_TARGETS, so in
CI a 0.3.64 and a 0.33.0 side by side; one version twice where only one is set up),
each with its own cache folder: a text removal whose wait ran out on the first is
collected by queueing the same workflow on the second, with one paid submit at the
emulator; with Redis stopped both keep working and say so under the node."""

from __future__ import annotations

import uuid

import pytest
from comfyui_harness import (  # noqa: F401 (fixtures)
    STATUS,
    TARGETS,
    emulator_process,
    mask_workflow,
    require,
    running_comfy,
    scene,
    text_workflow,
)
from PIL import Image
from redis_server import redis_server  # noqa: F401 (fixture)
from ws_listener import MessageListener

from support import photo_with_object

pytestmark = [pytest.mark.comfyui, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def two_servers(emulator_process, redis_server, tmp_path_factory):
    pair = TARGETS[:2] if len(TARGETS) >= 2 else TARGETS * 2
    for target in pair:
        require(target)
    first_work, second_work = (tmp_path_factory.mktemp(f"comfy-{n}") for n in ("a", "b"))
    with running_comfy(pair[0], emulator_process, first_work,
                       OBJECT_REMOVAL_REDIS_URL=redis_server.url) as first, \
            running_comfy(pair[1], emulator_process, second_work,
                          OBJECT_REMOVAL_REDIS_URL=redis_server.url) as second:
        yield first, second


@pytest.fixture
def emulator(emulator_process, two_servers):
    emulator_process.reset()
    for server in two_servers:
        server.write_keys()
    yield emulator_process


def test_a_text_removal_whose_wait_ran_out_on_one_server_is_collected_on_the_other(
        two_servers, emulator):
    first, second = two_servers
    emulator.behaviour.job_seconds = 8
    picture = Image.fromarray(photo_with_object(96, 128, seed=61))
    names = [server.upload("shared_text.png", picture) for server in two_servers]
    impatient = text_workflow(names[0], True, object_name="sofa")
    impatient["2"]["inputs"]["timeout"] = 2
    ran_out = first.run(impatient)
    error = first.error(ran_out)
    assert error["kind"] == "execution_error" and "still processing" in error[
        "exception_message"]
    assert len(emulator.requests("ml_submit")) == 1

    collected = second.run(text_workflow(names[1], True, object_name="sofa"))
    second.assert_success(collected)
    (pixels,) = second.images_of(collected, "3")
    assert pixels.shape == (96, 128, 3)
    # One job paid for in all: the second server resumed the first one's.
    assert len(emulator.requests("ml_submit")) == 1 and emulator.jobs_created() == 1


def test_with_redis_stopped_both_servers_keep_working_and_say_so(
        two_servers, emulator, redis_server):
    emulator.behaviour.job_seconds = 0.3
    redis_server.stop()
    picture, _, _ = scene()
    text_picture = Image.fromarray(photo_with_object(96, 128, seed=62))
    for number, server in enumerate(two_servers):
        name = server.upload(f"redis_down_{number}.png", picture)
        text_name = server.upload(f"redis_down_text_{number}.png", text_picture)
        client_id = uuid.uuid4().hex
        listener = MessageListener(server.url, client_id)
        try:
            masked = server.run(mask_workflow(name, seed=-1), client_id=client_id)
            server.assert_success(masked)
            by_name = server.run(text_workflow(text_name, True, object_name="lamp"),
                                 client_id=client_id)
            server.assert_success(by_name)
            lines = [s["text"] for s in listener.of_type(STATUS)]
        finally:
            listener.close()
        notes = [line for line in lines if line.startswith("shared store (Redis at")]
        assert len(notes) == 2, lines  # each run that met it is told, once
        assert any("without the shared store" in line for line in lines)
        log = server.log.read_text(errors="replace")
        assert log.count("shared store (Redis at") == 1  # said once in the log
        assert redis_server.password not in log + "".join(lines)
    assert len(emulator.requests("ml_submit")) == 2
