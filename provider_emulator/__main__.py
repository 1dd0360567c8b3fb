"""`python -m provider_emulator`: run the provider emulator until Ctrl+C."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .behaviour import CHOICES
from .emulator import ProviderEmulator

# A long-running emulator keeps only the latest requests (bodies can be 5 MB).
MAX_RECORDED = 256
_BEHAVIOUR_OPTIONS = (
    "latency", "job_seconds", "job_outcome", "eta", "processing_output", "queue_limit",
    "modelslab_output_size", "text_render", "legacy_error_spelling", "ailab_output_format",
    "ailab_data_prefix", "ailab_output_scale", "ailab_noise", "ailab_concurrency",
)


def build_parser() -> argparse.ArgumentParser:
    """The command line's options; behaviour options default to Behaviour's defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m provider_emulator",
        description="Imitate AILabTools and ModelsLab on this machine, offline and free.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=9100, help="API port (0: any free port)")
    parser.add_argument("--cdn-port", type=int, default=9101,
                        help="CDN port for uploads and results (0: any free port)")
    parser.add_argument("--key", action="extend", nargs="+", dest="keys", metavar="KEY",
                        help="accepted API key(s), for both providers (repeatable; "
                             "default test-key)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    behaviour = parser.add_argument_group(
        "behaviour (see Behaviour in provider_emulator/behaviour.py)"
    )
    behaviour.add_argument("--latency", type=float, help="seconds before every API answer")
    behaviour.add_argument("--job-seconds", type=float,
                           help="seconds a ModelsLab job stays processing (0: instant)")
    behaviour.add_argument("--job-outcome", choices=CHOICES["job_outcome"])
    behaviour.add_argument("--eta", type=int, help="eta reported while processing")
    behaviour.add_argument("--processing-output", choices=CHOICES["processing_output"])
    behaviour.add_argument("--queue-limit", type=int, help="ModelsLab jobs processing per key")
    behaviour.add_argument("--ailab-concurrency", type=int,
                           help="AILabTools calls in flight per key; more are refused with "
                                "EXCEEDING_LIMITS (0: any)")
    behaviour.add_argument("--modelslab-output-size", choices=CHOICES["modelslab_output_size"])
    behaviour.add_argument("--text-render", choices=CHOICES["text_render"],
                           help="interior removal: a whole re-render with the object area "
                                "replaced (realistic), or the centre box filled flat")
    behaviour.add_argument("--legacy-error-spelling", action="store_true", default=None,
                           help="ModelsLab errors spell 'messege'")
    behaviour.add_argument("--ailab-output-format", choices=CHOICES["ailab_output_format"])
    behaviour.add_argument("--ailab-data-prefix", action="store_true", default=None,
                           help="prefix AILab base64 results with data:image/...;base64,")
    behaviour.add_argument("--ailab-output-scale", type=float)
    behaviour.add_argument("--ailab-noise", type=int,
                           help="perturbation outside the removed area (0: none)")
    return parser


def banner(emu: ProviderEmulator, key: str) -> str:
    """What to print: the origins, and the exact environment for the pack."""
    exports = {
        "AILAB_BASE_URL": emu.api_url,
        "MODELSLAB_BASE_URL": emu.api_url,
        "AILAB_API_KEY": key,
        "MODELSLAB_API_KEY": key,
    }
    line = " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items())
    return "\n".join([
        "Provider emulator running (Ctrl+C to stop)",
        f"  API (AILabTools and ModelsLab): {emu.api_url}",
        f"  CDN (uploads and results):      {emu.cdn_url}",
        "Point the pack at it with:",
        f"export {line}",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, start the emulator, print the banner, serve until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    keys = args.keys or ["test-key"]
    emu = ProviderEmulator(keys=keys, port=args.port, cdn_port=args.cdn_port, host=args.host,
                           verbose=args.verbose, max_recorded=MAX_RECORDED)
    changes: dict[str, Any] = {
        name: getattr(args, name) for name in _BEHAVIOUR_OPTIONS if getattr(args, name) is not None
    }
    try:
        emu.behaviour.update(changes)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        emu.start()
    except OSError as exc:
        print(f"cannot listen on {args.host} ports {args.port}/{args.cdn_port}: {exc}",
              file=sys.stderr)
        return 2
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (e.g. a test's terminate()) ends as cleanly as Ctrl+C.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(banner(emu, keys[0]), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    print("Provider emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
