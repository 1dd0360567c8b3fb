"""ComfyUI object-removal node pack: remove objects by mask or by name."""

# ComfyUI imports this folder as a package. pytest also imports this file, on its own
# and without a parent package, when the folder's name is not a Python identifier
# (a clone named comfyui-object-removal); there the relative import cannot work and
# nothing needs the mappings.
if __package__:
    from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

WEB_DIRECTORY = "./js"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
