"""Shared validators: every public function calls these first, private code trusts them."""

import dataclasses
import numbers
import secrets

import numpy as np

from .errors import InvalidParameterError

#: What ``random_state`` takes: None (a fresh seed), a seed or a Generator.
RandomState = int | np.random.Generator | None


def check_random_state(random_state):
    """Turn None, an int or a Generator into one ``np.random.Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            raise InvalidParameterError(f"random_state={random_state} must be >= 0")
        return np.random.default_rng(random_state)
    raise InvalidParameterError(f"random_state={random_state!r} must be None, an int or a numpy Generator")


def resolve_seed(random_state):
    """The seed to record in a report (None for a Generator) and the one Generator to
    use; None draws a fresh seed, so that the run can be repeated."""
    if random_state is None:
        random_state = secrets.randbits(32)
    rng = check_random_state(random_state)
    seed = None if isinstance(random_state, np.random.Generator) else int(random_state)
    return seed, rng


def check_int(value, name, *, low=None, high=None):
    """Return ``value`` as int after checking that it is an integer in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name}={value!r} must be an integer")
    value = int(value)
    if low is not None and value < low:
        raise InvalidParameterError(f"{name}={value} must be >= {low}")
    if high is not None and value > high:
        raise InvalidParameterError(f"{name}={value} must be <= {high}")
    return value


def check_float(value, name, *, low=None, high=None):
    """Return ``value`` as float after checking that it is a finite real in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name}={value!r} must be a real number")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low):
        raise InvalidParameterError(f"{name}={value} must be a finite number >= {low}")
    if high is not None and value > high:
        raise InvalidParameterError(f"{name}={value:g} must be <= {high:g}")
    return value


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise InvalidParameterError(f"{name}={value!r} must be one of {options}")
    return value


def check_array(X, name="X"):
    """Validate a data matrix and return it as a C-contiguous float32/float64 array.

    float32 input stays float32 (half the memory, twice the BLAS speed); anything else
    becomes float64, as in scikit-learn.
    """
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"{name} cannot be converted to a numeric array: {e}") from e
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.bool_)):
        raise InvalidParameterError(f"{name} must be numeric; got dtype {X.dtype}")
    if np.iscomplexobj(X):
        raise InvalidParameterError(f"{name} must be real; got dtype {X.dtype}")
    if X.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if X.ndim == 1 else ""
        raise InvalidParameterError(f"{name} must be 2-D (n_samples, n_features); got shape {X.shape}{hint}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InvalidParameterError(f"{name} must not be empty; got shape {X.shape}")
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = np.ascontiguousarray(X, dtype=dtype)
    if not np.isfinite(X).all():
        raise InvalidParameterError(f"{name} contains NaN or infinity")
    return X


def check_sample_weight(sample_weight, n_samples, dtype):
    """Validate weights of shape (n_samples,): finite, non-negative, not all zero."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    try:
        w = np.asarray(sample_weight, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"sample_weight must be numeric: {e}") from e
    if w.shape != (n_samples,):
        raise InvalidParameterError(
            f"sample_weight has shape {w.shape} but X has {n_samples} samples; expected shape ({n_samples},)"
        )
    if not np.isfinite(w).all():
        raise InvalidParameterError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise InvalidParameterError(f"sample_weight must be non-negative; got minimum {w.min():g}")
    if not w.any():
        raise InvalidParameterError("sample_weight sums to zero: no sample carries weight")
    return np.ascontiguousarray(w)


def check_image(image, name="image"):
    """Validate an image array and return it as C-contiguous (H, W, 3|4) uint8.

    Accepts (H, W) greyscale and (H, W, 1|2|3|4) arrays of uint8, of uint16 (reduced to
    8 bits) or of floats in [0, 1] (scikit-image's convention).
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise InvalidParameterError(f"{name} must have shape (H, W), (H, W, 3) or (H, W, 4); got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidParameterError(f"{name} is empty; got shape {image.shape}")
    if image.dtype == np.uint16:
        image = np.rint(image / 257.0).astype(np.uint8)
    elif np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
            raise InvalidParameterError(f"a float {name} must hold finite values in [0, 1]")
        image = np.rint(image * 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise InvalidParameterError(f"{name} must be uint8, uint16 or float in [0, 1]; got dtype {image.dtype}")
    if image.shape[2] <= 2:  # grey or grey + alpha
        grey = np.repeat(image[..., :1], 3, axis=2)
        image = np.concatenate([grey, image[..., 1:]], axis=2) if image.shape[2] == 2 else grey
    if image.shape[2] == 4 and (image[..., 3] == 255).all():
        image = image[..., :3]
    return np.ascontiguousarray(image)


def weights_or_ones(sample_weight, n):
    """(n,) float64 weights: ``sample_weight`` as given (already checked), or ones."""
    return np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)


def fresh_stream(seed, rng):
    """The random stream a call with this seed starts from (a new Generator of the
    seed), or one spawned from ``rng`` when there is no seed: what each k of a search
    over k draws from, so that its fit is the one a call for that k makes."""
    return np.random.default_rng(seed) if seed is not None else rng.spawn(1)[0]


class SettingsMixin:
    """What every frozen settings dataclass of the package offers besides its checks."""

    def replace(self, **changes):
        """A copy with ``changes``, checked as a new object is."""
        return dataclasses.replace(self, **changes)


def _at_default(value, default):
    if value is default:
        return True
    plain = (str, int, float, bool)
    return (
        isinstance(value, plain) and isinstance(default, plain) and type(value) is type(default) and (value == default)
    )


def settings_for_call(cls, settings, arguments):
    """The settings of a public function's call, a frozen dataclass ``cls``, from the
    call's ``arguments`` by name (its ``locals()`` at the start, or a dict): the fields
    of ``cls`` among them are the keywords given.  Without ``settings``, one made of
    those; with it,
    ``settings`` with the keywords that differ from their field's default replacing
    its fields (a keyword left at its default keeps the settings' value, as black's
    options beside a ``Mode``).  Every field is checked when the object is made."""
    given = {f.name: arguments[f.name] for f in dataclasses.fields(cls) if f.name in arguments}
    if settings is None:
        return cls(**given)
    if not isinstance(settings, cls):
        raise InvalidParameterError(f"settings must be a {cls.__name__}; got {type(settings).__name__}")
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    changes = {name: value for name, value in given.items() if not _at_default(value, defaults[name])}
    return dataclasses.replace(settings, **changes) if changes else settings
