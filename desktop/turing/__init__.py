"""The Colorization Turing test: real photos against colorizations of their gray versions, side by side.

Qt-free parts (the command line reads results without Qt): :mod:`~desktop.turing.plan` (the rounds and the
person's answers), :mod:`~desktop.turing.stats` (fool rates and their Wilson intervals),
:mod:`~desktop.turing.results_file` (the CSV), :mod:`~desktop.turing.contenders` (what is compared) and
:mod:`~desktop.turing.pairs` (the background job that makes each round's two pictures). The dialog and
its pages are the rest; :mod:`~desktop.turing.screenshot` renders the README's picture.
"""
