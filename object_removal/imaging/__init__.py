"""Pure picture work: tensors, codecs, provider size limits, compositing."""
