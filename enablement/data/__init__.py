"""Packaged data files: vehicle catalogue, planning figures, Belgium outline."""
