"""Writes frames (a .npy file of (T, H, W, 3) uint8) as an H.264 MP4, with PyAV.

Run by the Python of a real ComfyUI (which ships PyAV; the pack's test environment
does not): `python write_video.py frames.npy clip.mp4 [fps]`."""

import sys
from fractions import Fraction

import av
import numpy as np

frames = np.load(sys.argv[1])
fps = Fraction(sys.argv[3]) if len(sys.argv) > 3 else Fraction(24)
with av.open(sys.argv[2], mode="w") as container:
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height = frames.shape[2], frames.shape[1]
    stream.pix_fmt = "yuv420p"
    stream.options = {"crf": "12", "preset": "veryfast"}
    for frame in frames:
        for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
