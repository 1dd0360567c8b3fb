"""Mask removal: MaskObjectRemove's parameters and its job."""
