"""VideoObjectRemove's job: remove what the masks cover from a whole clip, filling each
frame's hole with what the other frames show there, and only what no frame shows with
the chosen provider, once per keyframe.

Order of work, chosen so that nothing is paid for that was bound to fail and the
cost is known before the first call: check the clip (counts, sizes, values, memory);
follow the camera through it; fill every hole from the other frames; choose the
keyframes that cover what is left; say what that will cost ("N paid calls for M
frames") and hold it against the budget; then fill the keyframes and carry their
fills along the camera's path. Every step goes frame by frame in worker threads, so
Cancel stops it within a frame's work and ComfyUI runs other nodes meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..config import Settings, load_settings
from ..errors import ObjectRemovalError
from ..imaging.compositing import feather
from ..imaging.tensors import from_uint8, to_uint8
from ..mask.parameters import MaskInputs
from ..providers.base import FillProvider, FillRequest, ProviderEnvironment, outcome_of
from ..providers.registry import provider_spec
from ..run_context import RunContext, run_blocking
from ..spending import Spend, check_budget, spend_for
from ..stores.result_cache import ResultCache
from .camera_path import CameraPath, CameraTracker
from .clip import Clip, check_clip
from .kept_fills import KeptFills
from .keyframes import Unseen, carry_fills, choose_keyframes
from .motion import grey_for_motion
from .narrow_gaps import fill_from_around, split_narrow
from .parameters import DEFAULT_PROVIDER, VideoInputs
from .propagation import propagate_frame

# How far the provider grows what it fills on a keyframe, so its fill meets the
# propagated pixels around it; and how far the two are blended there.
KEYFRAME_DILATE = 4
KEYFRAME_FEATHER = 4


@dataclass(frozen=True, kw_only=True)
class VideoRemovalOptions:
    provider: str = DEFAULT_PROVIDER
    inputs: VideoInputs = field(default_factory=VideoInputs)
    budget: int | None = None
    """The most this run may spend; None: the setting (OBJECT_REMOVAL_BUDGET)."""


@dataclass(frozen=True)
class VideoResult:
    images: torch.Tensor
    """(T, H, W, 3): the input's size and count."""
    mask: torch.Tensor
    """(T, H, W): 1 where pixels may have changed (the grown masks)."""


async def remove_from_clip(images: torch.Tensor, mask: torch.Tensor,
                           options: VideoRemovalOptions, ctx: RunContext,
                           settings: Settings | None = None) -> VideoResult:
    inputs = options.inputs
    spec = provider_spec(options.provider)
    if inputs.fill_reach < 1:
        raise ObjectRemovalError(f"fill_reach must be 1 or more, got {inputs.fill_reach}.")
    if inputs.seed < -1:
        raise ObjectRemovalError(f"seed must be -1 (random) or more, got {inputs.seed}.")
    clip = await run_blocking(ctx, lambda: check_clip(images, mask, inputs.dilate_size))
    if not clip.with_holes():
        ctx.status("nothing to remove: the mask is empty", state="free")
        return VideoResult(clip.frames.clone(), clip.changed_mask())

    progress = _Progress(ctx, 3 * clip.count)
    path = await _follow_camera(clip, ctx, progress)
    result = await run_blocking(ctx, clip.frames.clone)  # never hand back the input itself
    unseen = await _propagate(clip, path, result, ctx, progress)

    keyframes = await run_blocking(ctx, lambda: choose_keyframes(
        unseen, path, clip.size, inputs.fill_reach))
    spent = Spend(credit_priced=spec.credits_per_call is not None)
    outcome = ""
    if not keyframes:
        ctx.status(f"{spec.name}: 0 paid calls for {clip.count} frames (the other frames show "
                   "everything the masks hide)")
    else:
        env = ProviderEnvironment(ctx=ctx, composite=True,
                                  settings=lambda: settings or load_settings())
        # building it hashes the clip (a second or two for a long one): off the loop
        job = await run_blocking(ctx, lambda: _KeyframeJob(clip, path, result, unseen, spec,
                                                           env, options))
        keyframes = await run_blocking(ctx, lambda: job.plan(keyframes))
        spent = await job.fill(keyframes)
        outcome = outcome_of(job.provider)
        for done, t in enumerate(sorted(unseen)):
            if t not in keyframes:
                await run_blocking(ctx, lambda t=t: _carry(t, unseen[t], job.completed, path,
                                                            result, inputs.fill_reach))
            progress.at(2 * clip.count + done + 1,
                        f"carrying the generated fills: frame {t + 1} of {clip.count}")
    progress.at(3 * clip.count, None)
    ctx.spend.add(spent)
    cost = "free" if spec.credits_per_call == 0 else spent.describe()
    keys = f"{len(keyframes)} keyframe{'s' if len(keyframes) != 1 else ''}"
    ctx.status(f"{spec.name}: done, {clip.count} frame{'s' if clip.count != 1 else ''}, {keys}"
               f"{' ' + outcome if outcome else ''}, {cost}",
               state="paid" if spent.paid_calls else "free")
    return VideoResult(result, clip.changed_mask())


class _Progress:
    """The progress bar over the whole job, a status line per frame, and Cancel checked
    between frames (a frame's work is a fraction of a second)."""

    def __init__(self, ctx: RunContext, total: int) -> None:
        self._ctx, self._total = ctx, total
        ctx.progress(0, total)

    def at(self, done: int, status: str | None) -> None:
        """After each frame's work: stop there if the run was cancelled meanwhile."""
        self._ctx.raise_if_cancelled()
        if status:
            self._ctx.status(status)
        self._ctx.progress(done, self._total)


async def _follow_camera(clip: Clip, ctx: RunContext, progress: _Progress) -> CameraPath:
    tracker = CameraTracker(clip.size)
    for t in range(clip.count):
        await run_blocking(ctx, lambda t=t: tracker.add(
            grey_for_motion(clip.frames[t], clip.holes[t])))
        progress.at(t + 1, f"following the camera: frame {t + 1} of {clip.count}")
    return tracker.path


async def _propagate(clip: Clip, path: CameraPath, result: torch.Tensor, ctx: RunContext,
                     progress: _Progress) -> dict[int, Unseen]:
    """Fill every hole from the other frames, in `result`; what no frame shows, by frame."""
    unseen: dict[int, Unseen] = {}

    def fill(t: int) -> None:
        found = propagate_frame(t, clip.frames, clip.holes, path)
        seen = found.seen
        result[t, found.ys[seen], found.xs[seen]] = found.colours[seen]
        if bool(seen.all()):
            return
        missing = np.zeros(clip.size, bool)
        missing[found.ys[~seen].numpy(), found.xs[~seen].numpy()] = True
        narrow, wide = split_narrow(missing)
        wide |= fill_from_around(result[t], narrow, unknown=missing)
        if wide.any():
            ys, xs = np.nonzero(wide)
            unseen[t] = Unseen(ys, xs)

    for t in range(clip.count):
        if clip.holes[t] is not None:
            await run_blocking(ctx, lambda t=t: fill(t))
        progress.at(clip.count + t + 1, f"filling from other frames: frame {t + 1} of "
                                        f"{clip.count}")
    return unseen


def _carry(frame: int, unseen: Unseen, completed: dict[int, torch.Tensor], path: CameraPath,
           result: torch.Tensor, reach: int) -> None:
    colours = carry_fills(frame, unseen, sorted(completed.items()), path, reach)
    result[frame, torch.from_numpy(unseen.ys), torch.from_numpy(unseen.xs)] = colours


class _KeyframeJob:
    """The generated fills: which keyframes, what they cost, the calls, the pictures."""

    def __init__(self, clip: Clip, path: CameraPath, result: torch.Tensor,
                 unseen: dict[int, Unseen], spec: Any, env: ProviderEnvironment,
                 options: VideoRemovalOptions) -> None:
        self._clip, self._path, self._result, self._unseen = clip, path, result, unseen
        self._spec, self._env, self._options = spec, env, options
        inputs = options.inputs
        params = spec.parameters(MaskInputs(seed=inputs.seed, dilate_size=KEYFRAME_DILATE))
        self.provider: FillProvider[Any] = spec.build(params, env)
        self._kept: KeptFills | None = None
        if spec.credits_per_call != 0 and inputs.seed != -1:
            cache = ResultCache(env.settings().cache_dir / "video")
            self._kept = KeptFills(cache, clip, (spec.name, repr(params), str(inputs.dilate_size),
                                                 str(inputs.fill_reach)))
        self._requests: dict[int, FillRequest] = {}
        self._reused: dict[int, np.ndarray] = {}
        self.completed: dict[int, torch.Tensor] = {}

    def plan(self, keyframes: list[int]) -> list[int]:
        """The keyframes to fill (those of an earlier run of this clip, if any), each
        request prepared: checked and encoded, nothing sent."""
        if self._kept is not None:
            earlier = self._kept.keyframes()
            if earlier and all(k in self._unseen for k in earlier):
                keyframes = earlier
        for k in keyframes:
            kept = self._kept.fill(k) if self._kept is not None else None
            if kept is not None:
                self._reused[k] = kept
            else:
                rgb = to_uint8(self._result[k])
                self._requests[k] = self.provider.prepare(rgb, self._unseen_mask(k))
        return keyframes

    async def fill(self, keyframes: list[int]) -> Spend:
        ctx, spec = self._env.ctx, self._spec
        paying = [k for k in keyframes
                  if k not in self._reused and not self.provider.already_paid(self._requests[k])]
        planned = spend_for(len(paying), len(keyframes) - len(paying), spec.credits_per_call)
        frames = self._clip.count
        ctx.status(f"{spec.name}: {len(paying)} paid call{'s' if len(paying) != 1 else ''} "
                   f"for {frames} frame{'s' if frames != 1 else ''} ({len(keyframes)} keyframe"
                   f"{'s' if len(keyframes) != 1 else ''})")
        if spec.credits_per_call != 0:
            budget = self._options.budget
            check_budget(planned, budget if budget is not None else self._env.settings().budget,
                         spec.label)
        if self._kept is not None:
            self._kept.remember_keyframes(keyframes)  # a cancelled run resumes with these
        paid = 0
        for number, k in enumerate(keyframes, start=1):
            if k in self._reused:
                rgb = self._reused[k]
            else:
                ctx.status(f"{spec.name}: keyframe {number} of {len(keyframes)} (frame {k + 1}) "
                           "...")
                filled = await self.provider.fill(self._requests[k], ctx)
                paid += filled.paid
                rgb = filled.rgb
                if self._kept is not None:
                    await run_blocking(ctx, lambda k=k, rgb=rgb: self._kept.keep_fill(k, rgb))
            await run_blocking(ctx, lambda k=k, rgb=rgb: self._complete(k, rgb))
        return spend_for(paid, len(keyframes) - paid, spec.credits_per_call)

    def _unseen_mask(self, frame: int) -> np.ndarray:
        mask = np.zeros(self._clip.size, bool)
        mask[self._unseen[frame].ys, self._unseen[frame].xs] = True
        return mask

    def _complete(self, frame: int, rgb: np.ndarray) -> None:
        """The keyframe's picture: the provider's fill where no frame showed anything,
        blended over a few pixels into the propagated pixels around it, never beyond the
        hole."""
        if rgb.shape[:2] != self._clip.size:
            raise ObjectRemovalError(
                f"the provider's fill of frame {frame + 1} is {rgb.shape[1]}x{rgb.shape[0]}, "
                f"not the clip's {self._clip.size[1]}x{self._clip.size[0]}.")
        weights = feather(torch.from_numpy(self._unseen_mask(frame)), 0, KEYFRAME_FEATHER)
        hole = self._clip.holes[frame]
        assert weights is not None and hole is not None
        y0, y1, x0, x1 = weights.box
        alpha = (weights.weights * hole[y0:y1, x0:x1]).unsqueeze(-1)
        region = self._result[frame, y0:y1, x0:x1]
        fill = from_uint8(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
        region.copy_(torch.where(alpha > 0, region + (fill - region) * alpha, region))
        self.completed[frame] = self._result[frame]
