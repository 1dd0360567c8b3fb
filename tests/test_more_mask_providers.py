"""The providers added through the registry, end to end against the emulator:
AILabTools Remove Objects (ailab-basic) and Remove Objects Pro (ailab-pro), which
answer a link to the result, and ModelsLab's mask removal (modelslab)."""

import numpy as np
import pytest
import torch

from object_removal.errors import JobTimeoutError
from object_removal.imaging.compositing import default_feather, grow_mask
from object_removal.mask.parameters import MaskInputs
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
from object_removal.providers import modelslab as modelslab_provider
from object_removal.run_context import RunContext
from provider_emulator import emulated_basic_removal, emulated_mask_job_removal
from support import (
    AILAB_KEY,
    MODELSLAB_KEY,
    disc_mask,
    image_tensor,
    node_class,
    pack_module,
    photo_like,
    run,
)

MaskObjectRemove = node_class("MaskObjectRemove")
NodeError = pack_module("object_removal.errors").ObjectRemovalError
DEFAULTS = dict(steps=30, strength=0.8, scale=7.0, seed=0, dilate_size=15, quality="M",
                composite=True)


def remove(image, mask, provider, **overrides):
    (result,) = run(MaskObjectRemove().remove(image, mask, provider,
                                              **{**DEFAULTS, **overrides}))
    return result


def as_uint8(tensor):
    return (tensor * 255).round().to(torch.uint8).numpy()


def grown(mask, radius):
    return grow_mask(mask >= 0.5, radius).numpy()


# --- ailab-basic and ailab-pro: a link to the result ----------------------------------------

LINK_PROVIDERS = pytest.mark.parametrize("provider,endpoint", [
    ("ailab-basic", "ailab_basic"), ("ailab-pro", "ailab_pro")])


@LINK_PROVIDERS
def test_link_providers_send_the_grown_mask_and_download_the_result(settings, emulator,
                                                                    provider, endpoint):
    rgb = photo_like(96, 128, seed=3)
    mask = disc_mask(96, 128, 48, 60, 12)
    result = remove(image_tensor(rgb), mask, provider, composite=False, dilate_size=4)
    # Lossless transport and no resizing: the emulator's removal, to the pixel.
    assert np.array_equal(as_uint8(result[0]), emulated_basic_removal(rgb, grown(mask, 4)))
    (request,) = emulator.requests(endpoint)
    assert request.headers["ailabapi-api-key"] == AILAB_KEY
    assert set(request.files) == {"image", "mask"} and request.form == {}
    # The result came from the CDN origin, without any key.
    assert [r.path.split("/")[1] for r in emulator.requests("cdn")] == ["outputs"]
    assert emulator.keys_seen_on_cdn() == set()


@LINK_PROVIDERS
def test_link_providers_composite_keeps_far_pixels_and_pay_once(settings, emulator,
                                                                provider, endpoint):
    rgb = photo_like(120, 160, seed=4)
    image, mask = image_tensor(rgb), disc_mask(120, 160, 60, 80, 15)
    first = remove(image, mask, provider, dilate_size=5)
    far = ~grow_mask(mask >= 0.5, 5 + 2 + default_feather(120, 160) + 1)
    assert torch.equal(first[0][far], image[0][far])
    assert not torch.equal(first, image)
    again = remove(image, mask, provider, dilate_size=5)
    assert torch.equal(again, first)
    assert len(emulator.requests(endpoint)) == 1  # kept on disk: no second bill


@LINK_PROVIDERS
def test_link_providers_ignore_the_advanced_settings(settings, emulator, provider, endpoint):
    image, mask = image_tensor(photo_like(80, 80)), disc_mask(80, 80, 40, 40, 8)
    remove(image, mask, provider, steps=1, strength=0.1, scale=20.0, quality="H")
    remove(image, mask, provider, steps=999, strength=1.0, scale=1.0, quality="L")
    # Same image and mask, different settings it does not read: one paid call.
    assert len(emulator.requests(endpoint)) == 1
    assert emulator.requests("ailab") == []


@LINK_PROVIDERS
def test_link_provider_errors_name_the_node_and_the_code(settings, emulator, provider,
                                                         endpoint):
    emulator.script(endpoint, code="ERROR_NOT_ENOUGH_CREDITS")
    with pytest.raises(NodeError, match="Mask Object Remove: AILabTools reports the account is "
                                        "out of credits"):
        remove(image_tensor(photo_like(80, 80)), disc_mask(80, 80, 40, 40, 8), provider)


@pytest.mark.parametrize("kind", ["no_data", "empty_url", "not_an_image"])
def test_ailab_basic_bad_links_are_clear_errors(settings, emulator, kind):
    emulator.script("ailab_basic", malformed=kind)
    with pytest.raises(NodeError, match="AILabTools|result"):
        remove(image_tensor(photo_like(80, 80)), disc_mask(80, 80, 40, 40, 8), "ailab-basic",
               seed=-1)


# --- modelslab: ModelsLab's queued mask removal ---------------------------------------------


def test_modelslab_uploads_image_and_mask_submits_polls_and_downloads(settings, emulator):
    emulator.behaviour.job_seconds = 1.2
    rgb = photo_like(128, 192, seed=5)  # multiples of 64: the emulator answers at this size
    mask = disc_mask(128, 192, 64, 90, 20)
    result = remove(image_tensor(rgb), mask, "modelslab", composite=False, dilate_size=6)
    expected = emulated_mask_job_removal(rgb, grown(mask, 6), "multiple_of_64")
    assert np.array_equal(as_uint8(result[0]), expected)
    assert len(emulator.requests("ml_upload")) == 2  # the image and the mask
    assert len(emulator.requests("ml_mask_submit")) == 1
    assert emulator.requests("ml_mask_fetch")  # it went through `processing`
    for request in emulator.requests():
        if request.endpoint.startswith("ml_"):
            assert request.key == MODELSLAB_KEY
    assert emulator.keys_seen_on_cdn() == set()


def test_modelslab_shares_the_key_of_text_removal(settings, emulator, monkeypatch):
    monkeypatch.delenv("AILAB_API_KEY")
    emulator.behaviour.job_seconds = 0
    result = remove(image_tensor(photo_like(64, 64)), disc_mask(64, 64, 32, 32, 8), "modelslab")
    assert result.shape == (1, 64, 64, 3)
    monkeypatch.delenv("MODELSLAB_API_KEY")
    with pytest.raises(NodeError, match="MODELSLAB_API_KEY"):
        remove(image_tensor(photo_like(64, 64)), disc_mask(64, 64, 30, 30, 8), "modelslab")


def test_a_modelslab_job_outliving_the_wait_is_resumed_not_resubmitted(
        settings, emulator, monkeypatch):
    monkeypatch.setattr(modelslab_provider, "JOB_WAIT_SECONDS", 1)
    emulator.behaviour.job_seconds = 2.5
    image, mask = image_tensor(photo_like(64, 128)), disc_mask(64, 128, 32, 64, 10)
    options = MaskRemovalOptions(provider="modelslab", inputs=MaskInputs(dilate_size=3))
    with pytest.raises(JobTimeoutError, match="still processing.*Queue the workflow again"):
        run(remove_by_mask(image, mask, options, RunContext(), settings=settings))
    monkeypatch.setattr(modelslab_provider, "JOB_WAIT_SECONDS", 30)
    result = run(remove_by_mask(image, mask, options, RunContext(), settings=settings))
    assert result.shape == image.shape
    assert len(emulator.requests("ml_mask_submit")) == 1  # resumed: billed once


def test_a_failed_modelslab_job_is_a_clear_error_and_not_resumed(settings, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0
    image, mask = image_tensor(photo_like(64, 64)), disc_mask(64, 64, 32, 32, 8)
    with pytest.raises(NodeError, match=r"Mask Object Remove: ModelsLab reports job \d+ failed"):
        remove(image, mask, "modelslab")
    emulator.behaviour.job_outcome = "success"
    remove(image, mask, "modelslab")
    assert len(emulator.requests("ml_mask_submit")) == 2
