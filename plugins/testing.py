"""A conformance check for colorization backends, for plugin authors' own tests.

::

    from plugins.testing import check_colorizer
    from tinct_handtint import HandTint

    def test_handtint_keeps_the_plugin_contract():
        check_colorizer(HandTint)

In the manner of scikit-learn's ``check_estimator``: :func:`check_colorizer` loads the backend,
runs it on a few small synthetic photos and checks what ``docs/plugin-api.md`` promises the host:
the ``info``, option and weights declarations; how many samples come back, in which order; the
shape, type and range of each sample's ``ab``; the progress events; closing the run at a yield
(cancel); ``unload`` then ``load``; and the same samples for the same seed. The first broken rule
raises :class:`ConformanceError` (an ``AssertionError``, so pytest shows it as a failure) whose
message says what happened and what the API requires. No Qt, no GPU, no network.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from plugins.colorizer import Colorizer
from plugins.errors import PluginError, TinctError
from plugins.host.discovery import describe
from plugins.host.runner import (
    MAX_ABS_CHROMA,
    MAX_WORKING_SIZE,
    MIN_WORKING_SIZE,
    build_options,
    check_ab,
    inference_mode,
    read_only,
)
from plugins.types import (
    DEVICES,
    Capability,
    ColorHint,
    ColorizeOptions,
    ColorizerInfo,
    OptionKind,
    Progress,
    Sample,
)
from plugins.weights import verify

__all__ = ["ConformanceError", "ConformanceReport", "check_colorizer", "synthetic_lightness"]

DOC = "docs/plugin-api.md"
PHOTO_SIZES = ((48, 64), (72, 40))
"""(height, width) of the synthetic photos: one landscape, one portrait, neither a round number."""
CHECK_WORKING_SIZE = 64
"""The working size the checks run at, small so that they stay quick (the backend's own default is
tried once as well)."""
SAME_TOLERANCE = 1e-3
"""Two runs of one seed count as the same when no a* or b* differs by more than this (Lab units)."""


class ConformanceError(AssertionError):
    """A backend breaks the plugin API's contract; ``str(error)`` says what happened and what is required."""


@dataclass(frozen=True)
class ConformanceReport:
    """What :func:`check_colorizer` checked (every check passed, or it would have raised)."""

    backend_id: str
    checks: tuple[str, ...]
    runs: int
    """How many ``colorize`` calls were made."""


@dataclass
class _Run:
    progress: list[Progress] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)


def synthetic_lightness(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A small photo's L* (``float32 (height, width)``, 0..100, read-only): a sky-like gradient,
    a dark disc, a bright bar and some noise, so a backend sees edges, flat parts and texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    lightness = 85.0 - 50.0 * y / max(height - 1, 1)
    disc = (x - 0.35 * width) ** 2 + (y - 0.6 * height) ** 2 < (0.2 * min(height, width)) ** 2
    lightness[disc] = 18.0
    lightness[int(0.15 * height):int(0.3 * height), int(0.55 * width):int(0.9 * width)] = 95.0
    lightness += rng.normal(0.0, 2.0, lightness.shape).astype(np.float32)
    lightness = np.clip(lightness, 0.0, 100.0).astype(np.float32)
    lightness.flags.writeable = False
    return lightness


def check_colorizer(
    cls: type[Colorizer],
    *,
    device: str = "cpu",
    samples: int = 3,
    deterministic: bool = True,
) -> ConformanceReport:
    """Check that ``cls`` keeps the plugin API's contract; raise :class:`ConformanceError` if not.

    ``device`` is the one to load onto (one of ``info.devices``). ``samples`` caps the samples asked
    for in one call (a backend with ``Capability.SAMPLES`` is asked for ``min(samples, max_samples)``).
    ``deterministic=False`` skips the comparisons between runs (same seed, after a cancel, after
    ``unload``/``load``), for a backend that cannot repeat itself exactly on ``device``; the API
    still expects it to.
    """
    checker = _Checker(cls, device, max(1, samples), deterministic)
    return checker.run()


class _Checker:
    def __init__(self, cls: type[Colorizer], device: str, samples: int, deterministic: bool):
        self.cls = cls
        self.name = getattr(cls, "__name__", repr(cls))
        self.device = device
        self.samples = samples
        self.deterministic = deterministic
        self.checks: list[str] = []
        self.runs = 0
        self.instance: Colorizer | None = None

    # -- reporting -------------------------------------------------------------------------
    def fail(self, what: str, required: str, section: str) -> None:
        raise ConformanceError(f"{self.name}: {what}. The plugin API requires: {required} ({DOC}, \"{section}\")")

    def passed(self, check: str) -> None:
        self.checks.append(check)

    # -- the checks, in order --------------------------------------------------------------
    def run(self) -> ConformanceReport:
        self.check_class()
        info: ColorizerInfo = self.cls.info
        self.name = f"{self.name} ({info.id})"
        self.check_info(info)
        self.check_options(info)
        self.check_weights(info)
        self.check_load()
        try:
            reference = self.check_samples(info)
            self.check_same_seed(info, reference)
            self.check_cancel(info, reference)
            self.check_option_values(info)
            self.check_temperature(info)
            self.check_guidance(info)
            self.check_default_working_size(info)
            self.check_reload(info, reference)
        finally:
            with contextlib.suppress(Exception):
                self.instance.unload()
        return ConformanceReport(info.id, tuple(self.checks), self.runs)

    def check_class(self) -> None:
        cls = self.cls
        if not (isinstance(cls, type) and issubclass(cls, Colorizer)):
            self.fail(f"{cls!r} is not a class derived from plugins.Colorizer",
                      "register_colorizers returns Colorizer subclasses (classes, not instances)", "Hooks")
        if not isinstance(getattr(cls, "info", None), ColorizerInfo):
            self.fail("the class has no ColorizerInfo in its 'info' attribute",
                      "a ColorizerInfo on the class as `info`", "ColorizerInfo")
        if getattr(cls, "__abstractmethods__", None):
            self.fail(f"it does not implement {', '.join(sorted(cls.__abstractmethods__))}",
                      "colorize(self, lightness, options), a generator", "Colorizer")
        try:
            self.instance = cls()
        except Exception as error:
            self.fail(f"{self.name}() raised {describe(error)}",
                      "the host creates the instance with no arguments; load weights in load(), not here", "Colorizer")
        self.passed("class")

    def check_info(self, info: ColorizerInfo) -> None:
        for field_name in ("name", "version", "license"):
            value = getattr(info, field_name)
            if not isinstance(value, str) or not value.strip():
                self.fail(f"info.{field_name} is {value!r}", f"a non-empty `{field_name}` string", "ColorizerInfo")
        if not isinstance(info.description, str) or "\n" in info.description.strip():
            self.fail(f"info.description is {info.description!r}", "`description` is one line of text", "ColorizerInfo")
        samples_capable = Capability.SAMPLES in info.capabilities
        if info.max_samples > 1 and not samples_capable:
            self.fail(f"info.max_samples is {info.max_samples} but capabilities lack Capability.SAMPLES, so the host "
                      "never asks for more than one sample",
                      "a backend that makes several samples declares Capability.SAMPLES", "ColorizerInfo")
        if samples_capable and info.max_samples < 2:
            self.fail("capabilities hold Capability.SAMPLES but info.max_samples is 1",
                      "Capability.SAMPLES goes with max_samples of 2 or more", "ColorizerInfo")
        if self.device not in info.devices:
            self.fail(f"check_colorizer was asked to run on {self.device!r}, which info.devices {info.devices} lacks",
                      f"`devices` lists every device the backend runs on, a subset of {DEVICES}", "ColorizerInfo")
        if not MIN_WORKING_SIZE <= info.default_working_size <= MAX_WORKING_SIZE:
            self.fail(f"info.default_working_size is {info.default_working_size}",
                      f"a working size from {MIN_WORKING_SIZE} to {MAX_WORKING_SIZE} px", "ColorizerInfo")
        if not (math.isfinite(info.default_temperature) and info.default_temperature >= 0):
            self.fail(f"info.default_temperature is {info.default_temperature}",
                      "a default temperature that is a finite number of at least 0", "ColorizerInfo")
        self.passed("info")

    def check_options(self, info: ColorizerInfo) -> None:
        for option in info.params:
            if not isinstance(option.label, str) or not option.label.strip():
                self.fail(f"option {option.name} has no label", "every BackendOption has a label the app shows",
                          "ColorizerInfo")
            if not isinstance(option.help, str):
                self.fail(f"option {option.name}'s help is {option.help!r}", "`help` is text", "ColorizerInfo")
        self.passed("options")

    def check_weights(self, info: ColorizerInfo) -> None:
        for file in info.weights:
            if not file.path.is_absolute():
                self.fail(f"weights file {file.path} is a relative path (taken from whatever the current folder is)",
                          "an absolute WeightsFile.path, e.g. Path(__file__).parent / 'model.safetensors'",
                          "ColorizerInfo")
            try:
                verify(file)
            except TinctError as error:
                self.fail(str(error), "every declared weights file is present and matches its sha256 before load "
                          "(ship it as package data, or have users bring it with `tinct models add`)",
                          "Declaring weights")
            problem = _safetensors_problem(file.path)
            if problem:
                self.fail(f"weights file {file.path.name} {problem}",
                          "weights in the safetensors format (Tinct never unpickles)", "Declaring weights")
        self.passed("weights")

    def check_load(self) -> None:
        try:
            self.instance.load(self.device)
        except Exception as error:
            self.fail(f"load({self.device!r}) raised {describe(error)}",
                      "load(device) loads onto any device in info.devices", "Colorizer")
        self.passed("load")

    def check_samples(self, info: ColorizerInfo) -> list[list[np.ndarray]]:
        """One run per photo size with as many samples as allowed, and one of a single sample."""
        wanted = min(self.samples, info.sample_limit)
        reference = []
        for height, width in PHOTO_SIZES:
            options = self.options(info, samples=wanted)
            reference.append(self.colorize(info, synthetic_lightness(height, width), options).samples)
        self.colorize(info, synthetic_lightness(*PHOTO_SIZES[0], seed=1), self.options(info, samples=1))
        if Capability.SAMPLES in info.capabilities and wanted > 1:
            first = reference[0]
            if all(_same(first[0], other) for other in first[1:]):
                self.fail(f"its {wanted} samples of one photo are all the same",
                          "a backend with Capability.SAMPLES makes several different colorizations", "ColorizerInfo")
        self.passed("samples")
        return reference

    def check_same_seed(self, info: ColorizerInfo, reference: list[list[np.ndarray]]) -> None:
        if not self.deterministic:
            return
        again = self.colorize(info, synthetic_lightness(*PHOTO_SIZES[0]), self.options(info, samples=len(reference[0])))
        self.expect_same(reference[0], again.samples, "a second run with the same seed",
                         "the same seed gives the same samples: seed every random generator from options.seed")
        self.passed("same seed, same samples")

    def check_cancel(self, info: ColorizerInfo, reference: list[list[np.ndarray]]) -> None:
        """Close the generator after its first event, and after its last-but-one: no error, and the
        next run is as good as ever."""
        lightness = synthetic_lightness(*PHOTO_SIZES[0])
        options = self.options(info, samples=len(reference[0]))
        events = self.colorize(info, lightness, options)
        count = len(events.progress) + len(events.samples)
        for stop_after in sorted({1, max(count - 1, 1)}):
            generator = self.start(lightness, options)
            try:
                with inference_mode():
                    for _ in range(stop_after):
                        next(generator)
            except StopIteration:
                continue
            except Exception as error:
                self.fail(f"colorize raised {describe(error)}", "colorize runs to the end", "Colorizer")
            try:
                generator.close()
            except Exception as error:
                self.fail(f"closing colorize at its yield number {stop_after} raised {describe(error)}",
                          "every yield is a cancel point: when the user cancels, the host closes the generator "
                          "and colorize stops quietly (no yield and no error from a `finally:`)", "Colorizer")
        after = self.colorize(info, lightness, options)
        if self.deterministic:
            self.expect_same(reference[0], after.samples, "a run after a cancelled one",
                             "a cancelled run leaves the backend ready for the next (no lock or state held across "
                             "a yield)")
        self.passed("cancel at a yield")

    def check_option_values(self, info: ColorizerInfo) -> None:
        lightness = synthetic_lightness(*PHOTO_SIZES[1], seed=2)
        for option in info.params:
            if option.kind is OptionKind.CHOICE:
                values: Iterable = option.choices
            else:
                values = sorted({option.minimum, option.maximum})
            for value in values:
                options = self.options(info, samples=1, params={option.name: value})
                if options.params[option.name] != value or type(options.params[option.name]) is not type(value):
                    self.fail(f"option {option.name} reached colorize as {options.params[option.name]!r}",
                              "options.params holds each option's value as its kind says", "ColorizeOptions")
                self.colorize(info, lightness, options, f"with option {option.name}={value!r}")
        self.passed("option values")

    def check_temperature(self, info: ColorizerInfo) -> None:
        if not info.has_temperature:
            return
        lightness = synthetic_lightness(*PHOTO_SIZES[1], seed=3)
        for temperature in (0.0, 2.0):
            options = self.options(info, samples=min(2, info.sample_limit), temperature=temperature)
            self.colorize(info, lightness, options, f"at temperature {temperature:g}")
        self.passed("temperature")

    def check_guidance(self, info: ColorizerInfo) -> None:
        """A backend that takes hints or a reference itself gets them, and still keeps the contract."""
        lightness = synthetic_lightness(*PHOTO_SIZES[0], seed=4)
        if Capability.HINTS in info.capabilities:
            hints = (ColorHint(10.0, 20.0, (40.0, 20.0), 4.0), ColorHint(50.5, 30.0, (-30.0, 10.0)))
            self.colorize(info, lightness, self.options(info, samples=1, hints=hints), "with two color hints")
            self.passed("hints")
        if Capability.REFERENCE in info.capabilities:
            lab = np.dstack([synthetic_lightness(40, 40, seed=5), np.full((40, 40), 20.0, np.float32),
                             np.full((40, 40), -15.0, np.float32)])
            self.colorize(info, lightness, self.options(info, samples=1, reference=lab), "with a reference photo")
            self.passed("reference")

    def check_default_working_size(self, info: ColorizerInfo) -> None:
        options = self.options(info, samples=1, working_size=None)
        self.colorize(info, synthetic_lightness(*PHOTO_SIZES[1], seed=6), options,
                      f"at its default working size ({options.working_size} px)")
        self.passed("default working size")

    def check_reload(self, info: ColorizerInfo, reference: list[list[np.ndarray]]) -> None:
        try:
            self.instance.unload()
        except Exception as error:
            self.fail(f"unload() raised {describe(error)}", "unload frees memory and never fails", "Colorizer")
        try:
            self.instance.load(self.device)
        except Exception as error:
            self.fail(f"load() after unload() raised {describe(error)}",
                      "the instance may be loaded again after unload", "Colorizer")
        again = self.colorize(info, synthetic_lightness(*PHOTO_SIZES[0]), self.options(info, samples=len(reference[0])))
        if self.deterministic:
            self.expect_same(reference[0], again.samples, "a run after unload() and load()",
                             "unload then load gives back the same backend")
        self.passed("unload then load")

    # -- running ---------------------------------------------------------------------------
    def options(self, info: ColorizerInfo, *, samples: int, working_size: int | None = CHECK_WORKING_SIZE,
                **more) -> ColorizeOptions:
        options, _notes = build_options(info, device=self.device, samples=samples, seed=0,
                                        working_size=working_size, **more)
        return options

    def start(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator:
        try:
            events = self.instance.colorize(read_only(lightness), options)
        except Exception as error:
            self.fail(f"colorize raised {describe(error)} before its first event", "colorize is a generator",
                      "Colorizer")
        if not inspect.isgenerator(events):
            self.fail(f"colorize returned a {type(events).__name__}, not a generator",
                      "colorize is a generator (it yields): every yield is a cancel point", "Colorizer")
        return events

    def colorize(self, info: ColorizerInfo, lightness: np.ndarray, options: ColorizeOptions, how: str = "") -> _Run:
        """One full run, every event checked; ``how`` says what was special about it."""
        self.runs += 1
        run = _Run()
        where = f" ({how})" if how else ""
        generator = self.start(lightness, options)
        try:
            while True:
                try:
                    with inference_mode():
                        event = next(generator)
                except StopIteration:
                    break
                except TinctError as error:
                    self.fail(f"colorize raised {type(error).__name__}: {error}{where} on a {lightness.shape[1]}×"
                              f"{lightness.shape[0]} synthetic photo", "colorize colorizes any photo it is given; "
                              "TinctError is for a message the user can act on", "Colorizer")
                except Exception as error:
                    self.fail(f"colorize raised {describe(error)}{where}",
                              "colorize runs to the end (and never writes to the read-only lightness)", "Colorizer")
                self.check_event(info, event, run, lightness, options, where)
        finally:
            generator.close()
        if len(run.samples) != options.samples:
            self.fail(f"colorize made {len(run.samples)} sample(s) when asked for {options.samples}{where}",
                      "one Sample per sample asked for, options.samples of them, no more and no fewer", "Events")
        return run

    def check_event(self, info, event, run: _Run, lightness, options, where: str) -> None:
        if isinstance(event, Progress):
            fraction = event.fraction
            if not (isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and 0 <= fraction <= 1):
                self.fail(f"it reported progress {fraction!r}{where}", "Progress.fraction is a number from 0 to 1",
                          "Events")
            if run.progress and fraction < run.progress[-1].fraction:
                self.fail(f"its progress went back from {run.progress[-1].fraction:g} to {fraction:g}{where}",
                          "Progress.fraction says how much of the whole call is done: it never goes back", "Events")
            if not isinstance(event.message, str):
                self.fail(f"a progress message is {event.message!r}{where}", "Progress.message is text", "Events")
            run.progress.append(event)
        elif isinstance(event, Sample):
            if event.index != len(run.samples):
                self.fail(f"sample number {len(run.samples)} came with index {event.index}{where}",
                          "the samples in order, index counting from 0", "Events")
            if len(run.samples) >= options.samples:
                self.fail(f"colorize made more than the {options.samples} sample(s) asked for{where}",
                          "options.samples samples, no more", "Events")
            run.samples.append(self.check_ab(event.ab, lightness, where))
        else:
            self.fail(f"colorize yielded {type(event).__name__}{where}", "colorize yields only Progress and Sample",
                      "Events")

    def check_ab(self, ab: object, lightness: np.ndarray, where: str) -> np.ndarray:
        try:
            checked = check_ab(self.cls.info.id, ab, lightness.shape)
        except PluginError as error:
            self.fail(f"{str(error).removeprefix(self.cls.info.id + ' ')}{where}",
                      f"Sample.ab is float32 (h, w, 2), a* and b* in Lab units, finite, within ±{MAX_ABS_CHROMA:g}, "
                      "at any resolution with the photo's aspect ratio (within 5 % and 2 px)", "Events")
        return checked

    def expect_same(self, first: list[np.ndarray], second: list[np.ndarray], what: str, required: str) -> None:
        for index, (a, b) in enumerate(zip(first, second)):
            if not _same(a, b):
                difference = np.abs(a - b).max() if a.shape == b.shape else f"shape {b.shape} instead of {a.shape}"
                self.fail(f"sample {index} of {what} differs from the first run (by {difference})", required,
                          "ColorizeOptions")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.abs(a - b).max() <= SAME_TOLERANCE)


def _safetensors_problem(path) -> str | None:
    """Why the file is not a safetensors file (its header: 8-byte length, then JSON), or None."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            return "is too short to be a safetensors file"
        (length,) = struct.unpack("<Q", head)
        if length > 100_000_000:
            return "is not a safetensors file (no header)"
        try:
            header = json.loads(f.read(length))
        except (ValueError, UnicodeDecodeError):
            return "is not a safetensors file (its header is not JSON; a pickle, perhaps)"
    return None if isinstance(header, dict) else "is not a safetensors file"

