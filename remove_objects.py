"""Remove objects from image files: `python remove_objects.py -h` for usage.

Runs the same code as the ComfyUI nodes (see object_removal/cli.py).
"""

import sys

from object_removal.cli import main

if __name__ == "__main__":
    sys.exit(main())
