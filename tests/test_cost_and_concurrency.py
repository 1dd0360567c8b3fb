"""What a run costs (said, and capped by a budget before any paid call), and how many
calls go out at once (learnt from the provider's refusals)."""

import threading
import time
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from object_removal.cli import main
from object_removal.concurrency import AdaptiveLimit, account_limit
from object_removal.errors import ObjectRemovalError
from object_removal.mask.parameters import MaskInputs
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
from object_removal.run_context import RunContext
from object_removal.text.removal import remove_by_text
from support import AILAB_KEY, disc_mask, image_tensor, photo_like, run


def photos(count, size=(80, 96)):
    return image_tensor(*(photo_like(*size, seed=s) for s in range(count)))


def remove(images, provider="ailab", budget=None, statuses=None, settings=None, **inputs):
    ctx = RunContext(on_status=(statuses.append if statuses is not None else None))
    options = MaskRemovalOptions(provider=provider, inputs=MaskInputs(**inputs), budget=budget)
    mask = disc_mask(images.shape[1], images.shape[2], 40, 48, 10)
    return run(remove_by_mask(images, mask, options, ctx, settings=settings)), ctx


def test_the_status_says_what_a_run_cost_and_what_came_from_the_cache(settings, emulator):
    statuses = []
    _, ctx = remove(photos(2), statuses=statuses, settings=settings)
    assert statuses[-1] == "ailab: done, 2 paid calls, 40 credits"
    assert (ctx.spend.paid_calls, ctx.spend.credits, ctx.spend.reused) == (2, 40, 0)
    statuses.clear()
    _, ctx = remove(photos(3), statuses=statuses, settings=settings)
    assert statuses[-1] == "ailab: done, 1 paid call, 20 credits; 2 from cache, 0 credits"
    assert len(emulator.requests("ailab")) == 3
    statuses.clear()
    remove(photos(1), provider="local", statuses=statuses, dilate_size=3)
    assert statuses[-1] == "local: done with PatchMatch, free"


def test_a_budget_refuses_a_run_before_any_paid_call(settings, emulator, monkeypatch):
    monkeypatch.setenv("OBJECT_REMOVAL_BUDGET", "30")
    with pytest.raises(ObjectRemovalError, match="would cost 40 credits .*budget of 30 "
                                                 "credits.*nothing was sent"):
        remove(photos(2))
    assert emulator.requests() == []
    remove(photos(1))  # 20: within
    remove(photos(2))  # 20 new + 1 kept (free): within
    assert len(emulator.requests("ailab")) == 2
    with pytest.raises(ObjectRemovalError, match="would cost 35 credits"):
        remove(photos(1, (64, 64)), provider="ailab-pro")
    assert emulator.requests("ailab_pro") == []


def test_a_budget_counts_paid_jobs_where_a_provider_prices_per_image(
        settings, emulator, monkeypatch):
    monkeypatch.setenv("OBJECT_REMOVAL_BUDGET", "1")
    emulator.behaviour.job_seconds = 0
    with pytest.raises(ObjectRemovalError, match="would cost 2 paid calls"):
        run(remove_by_text(photos(2), "lamp", wait=True, timeout=30, ctx=RunContext()))
    assert emulator.requests() == []


def test_the_command_line_checks_the_whole_runs_budget_and_sums_up(tmp_path, settings,
                                                                    emulator, capsys):
    folder, masks = tmp_path / "in", tmp_path / "masks"
    folder.mkdir(), masks.mkdir()
    for seed in range(3):
        Image.fromarray(photo_like(80, 96, seed)).save(folder / f"{seed}.png")
        mask = np.zeros((80, 96), np.uint8)
        mask[30:50, 40:60] = 255
        Image.fromarray(mask).save(masks / f"{seed}.png")
    args = ["ailab-basic", str(folder), "--mask", str(masks), "-o", str(tmp_path / "out")]
    assert main([*args, "--budget", "10"]) == 1
    assert "would cost 15 credits" in capsys.readouterr().err
    assert emulator.requests() == [] and not any((tmp_path / "out").glob("*"))
    assert main([*args, "--budget", "15"]) == 0
    assert "cost: 3 paid calls, 15 credits" in capsys.readouterr().out
    assert main([*args, "--overwrite"]) == 0  # all kept: free
    assert "cost: 0 paid calls, 0 credits; 3 from cache, 0 credits" in capsys.readouterr().out


# --- adaptive concurrency -------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def calls_at_the_provider(limit: AdaptiveLimit, count: int):
    """`count` calls, each holding a slot and sent (their attempts left open)."""
    calls = [limit.call() for _ in range(count)]
    attempts = [call.attempt(hold=True) for call in calls]
    for attempt in attempts:
        attempt.__enter__()
    return calls, attempts


def test_a_call_refused_while_alone_cuts_nothing():
    """Nothing else was in flight: the account's limit was not what refused it."""
    limit = AdaptiveLimit(start=12, ceiling=32, clock=FakeClock())
    for _ in range(2):
        call = limit.call()
        with call.attempt(hold=True):
            call.refused()
        call.done()
    assert limit.limit == 12


@pytest.mark.parametrize("together", [False, True], ids=["one_by_one", "all_at_once"])
def test_a_refusal_cuts_to_the_calls_the_provider_held_then(together):
    """8 sent to an account that holds 2: the 6 refusals say it allows 2, whether they are
    read one by one or all before any slot is given back."""
    limit = AdaptiveLimit(start=12, ceiling=32, clock=FakeClock())
    calls, attempts = calls_at_the_provider(limit, 8)
    refused = list(zip(calls[2:], attempts[2:], strict=True))
    for call, attempt in refused:
        call.refused()
        if not together:
            attempt.__exit__(None, None, None)
    if together:
        for _, attempt in refused:
            attempt.__exit__(None, None, None)
    assert limit.limit == 2 and limit.in_flight == 2


def test_the_evidence_holds_for_a_while_then_the_limit_recovers_in_a_few_rounds():
    clock = FakeClock()
    limit = AdaptiveLimit(start=12, ceiling=16, clock=clock)
    calls, attempts = calls_at_the_provider(limit, 5)
    for call, attempt in zip(calls[2:], attempts[2:], strict=True):
        call.refused()
        attempt.__exit__(None, None, None)
    assert limit.limit == 2
    for _ in range(20):  # calls go through, two at a time, while the evidence is fresh
        calls[0].succeeded()
    assert limit.limit == 2
    clock.now += 31  # older evidence: probe upward, one more per success in use
    successes = 0
    sent = []  # kept: a dropped attempt gives its slot back
    while limit.limit < 16:
        sent.append(calls_at_the_provider(limit, limit.limit - limit.in_flight))  # all in use
        calls[0].succeeded()
        successes += 1
    assert successes == 14 and limit.limit == 16  # never past the ceiling
    calls[0].succeeded()
    assert limit.limit == 16


def test_successes_with_the_limit_unused_teach_nothing():
    limit = AdaptiveLimit(start=4, ceiling=32, clock=FakeClock())
    for _ in range(100):
        call = limit.call()
        with call.attempt(hold=True):
            call.succeeded()
    assert limit.limit == 4


def test_a_queued_jobs_refused_submit_is_set_aside_until_it_sends_again():
    """ModelsLab: jobs hold their slots; a refused one is not at the provider meanwhile."""
    limit = AdaptiveLimit(start=10, ceiling=15, clock=FakeClock())
    for _ in range(4):
        assert limit.try_acquire()  # four queued jobs
    first, second = limit.call(), limit.call()
    with first.attempt(hold=False):
        first.refused()  # three others held: the account allows at most 3
    assert limit.limit == 3
    with second.attempt(hold=False):
        second.refused()  # the first is waiting to retry: two are at the provider
    assert limit.limit == 2
    with first.attempt(hold=False):  # the first sends again: back at the provider
        first.succeeded()
    first.done(), second.done()
    assert limit.in_flight == 4


def test_one_limit_per_account_is_shared_and_its_ceiling_follows_the_setting():
    first = account_limit("ailab", "https://x", "key-one", start=8, ceiling=32)
    assert account_limit("ailab", "https://x", "key-one", start=1, ceiling=32) is first
    assert account_limit("ailab", "https://x", "key-two", start=8, ceiling=32) is not first
    account_limit("ailab", "https://x", "key-one", start=8, ceiling=3)
    assert first.limit == 3


def test_slots_are_never_more_than_the_limit_across_threads():
    limit = AdaptiveLimit(start=3, ceiling=3)
    peak, current, lock = [0], [0], threading.Lock()

    def work():
        with limit.hold():
            with lock:
                current[0] += 1
                peak[0] = max(peak[0], current[0])
            threading.Event().wait(0.02)
            with lock:
                current[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3 and limit.in_flight == 0


def test_after_two_refusals_of_a_lone_call_a_batch_of_eight_goes_out_at_once(
        settings, emulator):
    """The issue's case: a single call refused twice (nothing else in flight) must not
    narrow the next batch. Measured at the emulator: with every answer held back, the
    batch's calls that arrive are those the pack lets out at once."""
    emulator.script("ailab", code="EXCEEDING_LIMITS")
    emulator.script("ailab", code="EXCEEDING_LIMITS")
    remove(photos(1), settings=settings, seed=-1)
    assert len(emulator.requests("ailab")) == 3  # refused twice, then through
    for _ in range(8):
        emulator.script("ailab", hold=True)
    batch = threading.Thread(target=remove, args=(photos(8, (72, 96)),),
                             kwargs={"settings": settings, "seed": -1}, daemon=True)
    batch.start()
    try:
        give_up = time.monotonic() + 60
        while emulator.held("ailab") < 8 and time.monotonic() < give_up:
            time.sleep(0.02)
        assert emulator.held("ailab") == 8  # all eight at the provider together
    finally:
        emulator.release()
        batch.join(60)


def test_a_batch_against_an_account_allowing_two_refuses_no_call_twice(settings, emulator):
    emulator.behaviour.update({"ailab_concurrency": 2, "latency": 0.3})
    result, ctx = remove(photos(8), settings=settings, seed=-1)
    assert result.shape == (8, 80, 96, 3) and ctx.spend.paid_calls == 8
    sent = Counter(request.files["image"].data for request in emulator.requests("ailab"))
    assert len(sent) == 8 and max(sent.values()) <= 2  # each call refused at most once
    learnt = account_limit("ailab", settings.ailab.base_url, AILAB_KEY, start=12, ceiling=32)
    assert learnt.limit == 2


def test_a_batch_meeting_a_concurrency_refusal_completes(settings, emulator):
    emulator.behaviour.update({"ailab_concurrency": 4, "latency": 0.5})
    result, ctx = remove(photos(8), settings=settings)
    assert result.shape == (8, 80, 96, 3)
    assert ctx.spend.paid_calls == 8
    answers = emulator.requests("ailab")
    assert len(answers) > 8  # some were refused (and sent again: refusals bill nothing)
    learnt = account_limit("ailab", settings.ailab.base_url, AILAB_KEY, start=12, ceiling=32)
    assert learnt.limit < 12


def test_waiting_for_a_slot_ends_on_cancel():
    import asyncio

    from object_removal.errors import Cancelled

    limit = AdaptiveLimit(start=1, ceiling=1)
    assert limit.try_acquire()  # the only slot is taken
    ctx = RunContext()
    threading.Timer(0.2, ctx.cancel).start()

    async def wait_for_slot():
        async with limit.hold_async(ctx):
            pass

    with pytest.raises(Cancelled):
        asyncio.run(wait_for_slot())
    assert limit.in_flight == 1  # nothing was taken by the cancelled wait
