"""DiamondTrace: an open diamond provenance registry on an EVM chain (client library and command)."""

__version__ = "0.1.0"
