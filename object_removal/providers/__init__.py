"""The ways MaskObjectRemove fills a mask: one module per vendor, each listing its
providers (`SPECS`), gathered in order by `registry`."""
