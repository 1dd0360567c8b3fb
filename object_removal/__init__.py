"""The engine behind the pack's nodes: providers, clients, conversions, compositing,
offline inpainting, stores, configuration and the command line.

Named so that it cannot clash with ComfyUI's own top-level `nodes` module. Inside
the pack it is imported relatively (`from ..object_removal import ...`); outside it
(tests, scripts, benchmarks, the command line) by this name. Importing it does not
import ComfyUI or torch; the modules that need torch import it themselves.
"""
