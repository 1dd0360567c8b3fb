"""Provider emulator: AILabTools and ModelsLab imitated over real HTTP on 127.0.0.1.

Lets the pack's tests and users run everything offline and free:

    from nodes.emulator import ProviderEmulator
    with ProviderEmulator(keys=("test-key",)) as emu:
        ...  # point the clients at emu.api_url; results come from emu.cdn_url

or from a shell: `python -m nodes.emulator` (see `--help`).
"""

from .ailab_envelope import AILAB_ERRORS
from .behaviour import Behaviour
from .emulator import ENDPOINTS, ProviderEmulator
from .multipart import UploadedFile
from .recording import Headers, RecordedRequest
from .removal import (
    dilated_region,
    emulated_removal,
    emulated_text_removal,
    fill_colour,
    modelslab_output_size,
)

__all__ = [
    "AILAB_ERRORS",
    "ENDPOINTS",
    "Behaviour",
    "Headers",
    "ProviderEmulator",
    "RecordedRequest",
    "UploadedFile",
    "dilated_region",
    "emulated_removal",
    "emulated_text_removal",
    "fill_colour",
    "modelslab_output_size",
]
