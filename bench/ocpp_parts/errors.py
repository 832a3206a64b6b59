"""The error of a benchmark run that could not complete."""


class BenchError(RuntimeError):
    """A run that could not complete (the bench exits 1)."""
