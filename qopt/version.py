"""qopt's version and its distribution name (the import name is ``qopt``; on PyPI the project is
``qopt-toolkit``, since ``qopt`` there is another project)."""

__version__ = "0.1.0"

#: the name to install: ``pip install qopt-toolkit`` (extras: ``qopt-toolkit[ibm]``, ...)
DISTRIBUTION = "qopt-toolkit"

__all__ = ["DISTRIBUTION", "__version__"]
