"""The version of cerulean-train, at the bottom of its import layers.

Modules that record the version in what they write import it from here, never from the
package ``__init__``, which imports most of the package.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
