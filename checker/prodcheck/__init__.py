"""prodcheck: judge how far an ML pilot is on the 30-60-90 path to production."""

__version__ = "0.1.0"
