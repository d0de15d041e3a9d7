"""Restoration of faded, noisy and scratched scans: steps on the lightness before colorization.

:class:`Restorer` is the base class a restoration step derives from (Tinct's own and a third
party's alike). The built-in steps, each optional and each registered through the
``tinct.restorers`` entry-point group like any plugin's:

* ``tone`` (:mod:`plugins.restore.tone`): auto levels to where the tone prior
  (:mod:`plugins.restore.tone_prior`, learned from the training photos faded at random) puts
  them, and local contrast (CLAHE);
* ``denoise`` (:mod:`plugins.restore.denoise`): non-local means, its strength from the noise level;
* ``scratches`` (:mod:`plugins.restore.scratches`): thin bright or dark defects found and inpainted;
* ``learned`` (:mod:`plugins.restore.learned`): grain, dust and scratches removed at once by a small
  network trained with ``python -m training train restorer`` (weights in ``resources/models``).

Importing this package is cheap: OpenCV and torch are imported by the steps when they run.
"""

from plugins.restore.base import Restorer

__all__ = ["Restorer"]
