"""The command line's arguments: the removal settings come from the same declarations
as MaskObjectRemove's inputs, the providers from the registry."""

from __future__ import annotations

import argparse

from ..mask.parameters import COMPOSITE, MASK_PARAMETERS, Parameter
from ..providers.registry import PROVIDER_NAMES, ignored_by

COLLECT = "collect"
DEFAULT_TIMEOUT_SECONDS = 600


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remove_objects.py",
        description="Remove objects from image files with the pack's providers.",
        epilog="Keys: AILAB_API_KEY / MODELSLAB_API_KEY or the config file (see README). "
               f"`{COLLECT} HANDLE -o out.png` collects a ModelsLab job by its handle.",
    )
    parser.add_argument("provider", choices=(*PROVIDER_NAMES, COLLECT),
                        help="who fills the mask (as MaskObjectRemove's provider); modelslab "
                             f"with --object removes by name; {COLLECT}: fetch a ModelsLab job")
    parser.add_argument("input", help="an image file or a folder of images (for collect: a "
                                      "job handle such as modelslab:123@640x480)")
    parser.add_argument("--mask", help="mask file (white = remove) or folder of masks "
                                       "named like the images")
    parser.add_argument("--object", help="what to remove, in words (modelslab only)")
    parser.add_argument("-o", "--output", help="output file (its extension picks the format: "
                                               ".png .jpg .webp .bmp .tif) or folder (end it with "
                                               "/); default: next to the input, *_removed.png / "
                                               "removed/")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace outputs that exist already (never an input)")
    parser.add_argument("--budget", type=_credits, metavar="N",
                        help="refuse, before any paid call, a run that would cost more than "
                             "N credits (or N paid calls where a provider does not price in "
                             "credits); default: OBJECT_REMOVAL_BUDGET, else no limit")
    parser.add_argument("--stretch-mask", action="store_true",
                        help="fit a mask of another aspect ratio by stretching it (else an error)")
    settings = parser.add_argument_group("removal settings (as MaskObjectRemove's inputs)")
    for parameter in MASK_PARAMETERS:
        _add_flag(settings, parameter, ignored_by(parameter.name))
    settings.add_argument("--composite", action=argparse.BooleanOptionalAction,
                          default=COMPOSITE.default, help=COMPOSITE.tooltip)
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_SECONDS,
                        help="modelslab --object and collect: seconds to wait for each job "
                             "(default %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print provider status")
    return parser


def _add_flag(group: argparse._ArgumentGroup, parameter: Parameter,
              ignored: tuple[str, ...]) -> None:
    help_text = parameter.tooltip + (f" Ignored by {', '.join(ignored)}." if ignored else "")
    help_text = help_text.replace("%", "%%") + " (default %(default)s)"
    flag = "--" + parameter.name.replace("_", "-")
    if parameter.kind == "CHOICE":
        group.add_argument(flag, choices=parameter.choices, default=parameter.default,
                           help=help_text)
    else:
        kind = int if parameter.kind == "INT" else float
        help_text = help_text.replace(" (default", f" ({parameter.range_text()}; default")
        group.add_argument(flag, type=kind, default=parameter.default, help=help_text)


def _credits(text: str) -> int:
    """A budget: a whole number of credits, 0 or more."""
    try:
        value: int | None = int(text)
    except ValueError:
        value = None
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"a whole number of credits, 0 or more, got {text!r}")
    return value
