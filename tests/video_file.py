"""Video files for the real-ComfyUI tests, with PyAV, run by the Python of a real ComfyUI
(which ships PyAV; the pack's own test environment does not):

    python video_file.py write frames.npy clip.mp4 [fps]   # (T, H, W, 3) uint8 -> H.264
    python video_file.py read clip.mp4 frames.npy          # every frame, RGB uint8
"""

import sys
from fractions import Fraction

import av
import numpy as np


def write(frames_path: str, video_path: str, fps: str = "24") -> None:
    frames = np.load(frames_path)
    with av.open(video_path, mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10", "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def read(video_path: str, frames_path: str) -> None:
    with av.open(video_path) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    np.save(frames_path, np.stack(frames))


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](*sys.argv[2:])
