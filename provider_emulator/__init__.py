"""Provider emulator: AILabTools and ModelsLab imitated over real HTTP on 127.0.0.1.

Lets the pack's tests and users run everything offline and free:

    from provider_emulator import ManualClock, ProviderEmulator
    with ProviderEmulator(keys=("test-key",), clock=ManualClock()) as emu:
        ...  # point the clients at emu.api_url; results come from emu.cdn_url
        emu.clock.advance(5)  # a queued ModelsLab job is now done

or from a shell: `python -m provider_emulator` (see `--help`). A package of its
own: it needs only the standard library, numpy and Pillow, never the pack.
"""

from .ailab_envelope import AILAB_ERRORS
from .behaviour import Behaviour
from .catalogue import CATALOGUE, Catalogue
from .clock import Clock, ManualClock, SystemClock
from .emulator import ProviderEmulator
from .endpoints import Endpoint, Malformed, Vendor
from .multipart import UploadedFile
from .recording import Headers, RecordedRequest
from .removal import (
    dilated_region,
    emulated_basic_removal,
    emulated_mask_job_removal,
    emulated_removal,
    emulated_text_removal,
    fill_colour,
    modelslab_output_size,
)
from .text_rerender import ObjectArea, rerendered, text_removal_area

# Every endpoint name a script or `requests()` accepts, in declaration order.
ENDPOINTS = CATALOGUE.scriptable

__all__ = [
    "AILAB_ERRORS",
    "CATALOGUE",
    "ENDPOINTS",
    "Behaviour",
    "Catalogue",
    "Clock",
    "Endpoint",
    "Headers",
    "Malformed",
    "ManualClock",
    "ObjectArea",
    "ProviderEmulator",
    "RecordedRequest",
    "SystemClock",
    "UploadedFile",
    "Vendor",
    "dilated_region",
    "emulated_basic_removal",
    "emulated_mask_job_removal",
    "emulated_removal",
    "emulated_text_removal",
    "fill_colour",
    "modelslab_output_size",
    "rerendered",
    "text_removal_area",
]
