"""everyname: casualty recording for armed conflict.

Layers (dependencies point down only): ``cli``/``web`` → ``store`` → ``core``.
``core`` is pure Python and never imports Django or a database driver.
"""

__version__ = "0.1.0"
