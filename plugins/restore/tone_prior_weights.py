"""The tone prior's weights (see :mod:`plugins.restore.tone_prior`), measured on 9324 photos of
train and train-extra (short side 256, center crop) by ``python bench/tone_prior.py --write``.
Written by that script: measure again rather than edit."""

ENDS = (0.50000, 99.50000)
SHAPE_LEVELS = (1.00000, 2.00000, 5.00000, 10.00000, 25.00000, 50.00000, 75.00000, 90.00000, 95.00000, 98.00000, 99.00000)
BLACK_WEIGHTS = (-1.32916, 10.18145, 15.93999, 13.98592, 5.11621, -0.25986, -0.16428, 0.15512, -0.83168, -2.35508, 2.18313, 2.76900)
WHITE_WEIGHTS = (23.48729, 2.27533, 2.47474, -0.66202, -2.52065, -0.33925, 0.27189, -0.85393, 1.07119, 13.59363, 30.46156, 31.92980)
BLACK_QUARTILES = (1.16202, 3.14255, 7.80515)
WHITE_QUARTILES = (89.48350, 96.04669, 99.27417)
