"""Remove objects from image files: `python remove_objects.py -h` for usage.

Runs the same code as the ComfyUI nodes (see nodes/cli.py).
"""

import sys

from nodes.cli import main

if __name__ == "__main__":
    sys.exit(main())
