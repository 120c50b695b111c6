"""Find the line of plate characters in a crop, so OCR does not read the rest.

A plate crop holds more than its registration: the plate border, the EU blue band and
its country letter, the US state name, screws, and a strip of the scene around the
plate. Tesseract reads all of them as extra characters. :func:`find_text_line` finds
the registration as the largest group of connected components of similar height lying
on one text line; :func:`crop_text_region` cuts it out with a margin.

Both are pure functions of the pixels (no I/O, input untouched) and degrade gracefully:
when nothing plausible is found (e.g. a heavily blurred plate whose characters have
merged), :func:`find_text_line` returns None and :func:`crop_text_region` returns the
whole image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from deblur.io import to_gray
from deblur.types import Image, check_image

__all__ = ["TextLine", "find_text_line", "crop_text_region"]

_HEIGHT_TOL = 0.25  # members' heights within +-25 % of the line's character height
_CENTRE_TOL = 0.35  # members' vertical centres within +-35 % of that height
_MAX_GAP = 1.6  # a horizontal gap wider than this many heights ends the line
_MAX_ASPECT = 1.4  # width / height of one character (W, M are ~1)
_MIN_ASPECT = 0.1  # thinner is a piece of the plate border, not an I or a 1
_MIN_FILL = 0.12  # area / box area: drops thin frames such as the plate border
_NARROW = 0.3  # width / height below which a component must be a solid stroke (I, 1)
_NARROW_FILL = 0.5  # ... filling this much of its box: a slanted border piece does not
_DESCENDER = 1.5  # a J or Q may reach this many character heights below the cap line
_MAX_SLOPE = 0.25  # steepest text line followed (about 14 degrees)
_INNER = 0.15  # extension: rows of the line's band skipped above and below (x height)
_SPAN = 0.6  # ... a shape must cover this much of the remaining rows
_SOLID = 0.8  # ... a piece this solid of a component taller than _TALL x height
_TALL = 1.5  # is the plate border or the scene, not a character


@dataclass(frozen=True, kw_only=True)
class TextLine:
    """Where the characters of a plate are, in pixel coordinates of the input.

    Attributes
    ----------
    top, bottom, left, right : int
        Bounding box of the characters (``bottom``/``right`` exclusive).
    char_height : float
        Median height of the characters in pixels.
    count : int
        Number of connected components taken as characters.
    angle : float
        Tilt of the line in degrees; positive when it descends to the right (image
        rows grow downwards).
    dark_text : bool
        True for dark characters on a light plate.
    """

    top: int
    bottom: int
    left: int
    right: int
    char_height: float
    count: int
    angle: float
    dark_text: bool


@dataclass(frozen=True)
class _Boxes:
    """Connected components of a mask as parallel arrays (one entry per component)."""

    top: NDArray[np.int64]
    bottom: NDArray[np.int64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    area: NDArray[np.int64]
    labels: NDArray[np.int32]  # the label image: component i is ``labels == i + 1``

    @property
    def height(self) -> NDArray[np.int64]:
        return self.bottom - self.top

    @property
    def width(self) -> NDArray[np.int64]:
        return self.right - self.left

    @property
    def centre(self) -> NDArray[np.float64]:
        return (self.top + self.bottom) / 2.0


def _otsu(gray: NDArray[np.float32]) -> float:
    """Otsu's threshold on a 256-bin histogram: dark is ``gray < t``, light the rest."""
    hist, edges = np.histogram(gray, bins=256, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(hist).astype(np.float64)
    total = weight[-1]
    mean = np.cumsum(hist * centres)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(
        weight * (total - weight), 1e-12
    )
    # Bins 0..k form the dark class: values below the upper edge of bin k.
    return float(edges[int(np.argmax(between[:-1])) + 1])


def _components(mask: NDArray[np.bool_]) -> _Boxes:
    labels, count = ndimage.label(mask)
    slices = ndimage.find_objects(labels)
    area = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    rows = np.array([(s[0].start, s[0].stop, s[1].start, s[1].stop) for s in slices])
    rows = rows.reshape(-1, 4)
    return _Boxes(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], area, labels)


def _members(
    boxes: _Boxes, height: float, fit: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Components of about `height` whose centre lies on the line ``fit`` (slope, offset)."""
    mid_x = (boxes.left + boxes.right) / 2.0
    expected = fit[0] * mid_x + fit[1]
    return (np.abs(boxes.height - height) <= _HEIGHT_TOL * height) & (
        np.abs(boxes.centre - expected) <= _CENTRE_TOL * height
    )


def _fit(boxes: _Boxes, keep: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Least-squares line (slope, offset) through the centres of `keep`, slope clipped."""
    mid_x = ((boxes.left + boxes.right) / 2.0)[keep]
    centre = boxes.centre[keep]
    if keep.sum() < 2 or np.ptp(mid_x) == 0:
        return np.array([0.0, float(np.median(centre))])
    slope, offset = np.polyfit(mid_x, centre, 1)
    slope = float(np.clip(slope, -_MAX_SLOPE, _MAX_SLOPE))
    return np.array([slope, float(np.median(centre - slope * mid_x))])


def _longest_run(
    boxes: _Boxes, keep: NDArray[np.bool_], height: float
) -> NDArray[np.bool_]:
    """Keep the horizontally contiguous run of `keep` with the most total height."""
    index = np.flatnonzero(keep)
    index = index[np.argsort(boxes.left[index])]
    runs: list[list[int]] = [[int(index[0])]]
    reach = boxes.right[index[0]]
    for i in index[1:]:
        if boxes.left[i] - reach > _MAX_GAP * height:
            runs.append([])
        runs[-1].append(int(i))
        reach = max(reach, boxes.right[i])
    best = max(runs, key=lambda run: int(boxes.height[run].sum()))
    out = np.zeros_like(keep)
    out[best] = True
    return out


def _line(mask: NDArray[np.bool_], min_chars: int) -> _Found | None:
    """The best character line among the components of `mask`, if any."""
    height, _ = mask.shape
    boxes = _components(mask)
    if boxes.area.size == 0:
        return None
    h, w = boxes.height, boxes.width
    # Characters may touch (a wide component); anchors must look like one character.
    sized = (
        (h >= max(5, 0.12 * height))
        & (h <= 0.92 * height)
        & (w >= np.maximum(2, _MIN_ASPECT * h))
        & (boxes.area >= _MIN_FILL * h * w)
        & ((w >= _NARROW * h) | (boxes.area >= _NARROW_FILL * h * w))
    )
    plausible = sized & (w <= _MAX_ASPECT * h)
    best: _Found | None = None
    for i in np.flatnonzero(plausible):
        keep = sized & _members(boxes, float(h[i]), np.array([0.0, boxes.centre[i]]))
        for _ in range(2):  # refine the height and the (possibly tilted) line
            if keep.sum() < min_chars:
                break
            keep = sized & _members(boxes, float(np.median(h[keep])), _fit(boxes, keep))
        if keep.sum() < min_chars:
            continue
        keep = _longest_run(boxes, keep, float(np.median(h[keep])))
        score = float(h[keep].sum())
        if keep.sum() >= min_chars and (best is None or score > best.score):
            best = _Found(score=score, keep=keep, fit=_fit(boxes, keep), boxes=boxes)
    if best is not None:
        best = _with_descenders(best, sized)
    return best


def _with_descenders(found: _Found, sized: NDArray[np.bool_]) -> _Found:
    """Add the characters that hang below the line (J, Q in serif faces) to `found`.

    Such a glyph starts at the cap line like its neighbours but is up to
    ``_DESCENDER`` times as tall, so it fails the height test of :func:`_members`;
    left out, the crop cuts it off (a leading J vanishes, a J loses its hook and reads
    as I). Only components next to the line are added, and the line's fit is kept.
    """
    boxes, keep = found.boxes, found.keep.copy()
    height = float(np.median(boxes.height[keep]))
    mid_x = (boxes.left + boxes.right) / 2.0
    cap = found.fit[0] * mid_x + found.fit[1] - height / 2.0
    hangs = (
        sized
        & (boxes.height >= (1 + _HEIGHT_TOL) * height)
        & (boxes.height <= _DESCENDER * height)
        & (np.abs(boxes.top - cap) <= _HEIGHT_TOL * height)
        & (boxes.width <= _MAX_ASPECT * height)
    )
    gap = _MAX_GAP * height
    for _ in range(2):  # a second pass reaches a second J next to the first ("JJ")
        near = (boxes.right >= boxes.left[keep].min() - gap) & (
            boxes.left <= boxes.right[keep].max() + gap
        )
        keep |= hangs & near
    return _Found(score=found.score, keep=keep, fit=found.fit, boxes=boxes)


@dataclass(frozen=True)
class _Found:
    score: float
    keep: NDArray[np.bool_]
    fit: NDArray[np.float64]
    boxes: _Boxes


def _extended_ends(found: _Found, left: int, right: int) -> tuple[int, int]:
    """The line's ends `left` and `right`, moved out to shapes the test missed.

    On a restored plate a character often touches the plate border or the scene
    around the plate (a ringing edge closes the gap); its component then spans the
    whole crop and fails every size test, and the crop cuts it off ("VB71 HZX" read
    as "1 HZX"). Here the line's band, without its top and bottom ``_INNER`` (where
    such contacts are), is sampled along the fitted line and cut into components
    again: shapes that cover most of the band's rows and are no wider than a
    character, lying within a gap of the line's ends, move those ends out. Solid
    pieces of a component much taller than the characters (plate border, dark
    scene) and shapes touching the crop's sides are not characters and stop nothing.
    """
    boxes, keep = found.boxes, found.keep
    height = float(np.median(boxes.height[keep]))
    rows_n, cols_n = boxes.labels.shape
    cols = np.arange(cols_n)
    cap = found.fit[0] * cols + found.fit[1] - height / 2.0
    offsets = np.arange(round(_INNER * height), round((1 - _INNER) * height))
    rows = np.clip(np.round(cap + offsets[:, None]).astype(np.int64), 0, rows_n - 1)
    owners = boxes.labels[rows, cols]  # the band, straightened along the line
    band = _components(owners > 0)
    band_h, band_w = band.height, band.width
    owner_h = np.zeros(boxes.area.size + 1, np.int64)
    owner_h[1:] = boxes.height
    tallest = ndimage.maximum(
        owner_h[owners], band.labels, np.arange(1, band.area.size + 1)
    )
    fill = band.area / np.maximum(band_h * band_w, 1)
    shape = (
        (band_h >= _SPAN * offsets.size)
        & (band_w >= 2)
        & (band_w <= _MAX_ASPECT * height)
        & (fill >= _MIN_FILL)
        & ~((fill >= _SOLID) & (np.asarray(tallest) > _TALL * height))
        & (band.left > 0)
        & (band.right < cols_n)
    )
    gap = _MAX_GAP * height
    grown = True
    while grown:
        before = (band.right <= left) & (left - band.right <= gap) & shape
        after = (band.left >= right) & (band.left - right <= gap) & shape
        grown = bool(before.any() or after.any())
        left = min(left, int(band.left[before].min(initial=left)))
        right = max(right, int(band.right[after].max(initial=right)))
    return left, right


def find_text_line(
    image: Image, *, min_chars: int = 3, extend: bool = False
) -> TextLine | None:
    """Locate the registration characters of a plate crop.

    The luminance is binarised with Otsu's threshold in both polarities; in each, the
    connected components of character-like size and shape are grouped by height and by
    position on a (possibly tilted) straight line, and the horizontally contiguous
    group with the largest total height wins. That rejects the plate border (a thin
    frame), the EU band (taller than the characters), the US state name (much smaller
    characters), screws and the scene around the plate.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
        A plate crop. Not modified.
    min_chars : int
        Fewest components that make a line.
    extend : bool
        Move the line's left and right ends out to character-sized shapes that the
        component test missed, typically a character that touches the plate border on
        a restored plate and so merges with it. Top and bottom are unchanged. PP-OCR
        gains from it; Tesseract reads the border pieces it may add as characters.

    Returns
    -------
    TextLine or None
        None when no line of at least `min_chars` plausible characters exists (blank
        or heavily blurred crops).

    Raises
    ------
    TypeError, ValueError
        If `image` is not a float32 image in [0, 1], or `min_chars` < 1.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans.
    Systems, Man, and Cybernetics 9(1), 62-66 (1979).
    """
    check_image(image)
    if min_chars < 1:
        raise ValueError(f"min_chars must be >= 1, got {min_chars}")
    gray = to_gray(image)
    if float(gray.max() - gray.min()) < 1e-3:
        return None
    threshold = _otsu(gray)
    found: list[tuple[_Found, bool]] = []
    for dark in (True, False):
        line = _line(gray < threshold if dark else gray >= threshold, min_chars)
        if line is not None:
            found.append((line, dark))
    if not found:
        return None
    best, dark = max(found, key=lambda f: f[0].score)
    keep, boxes = best.keep, best.boxes
    left, right = int(boxes.left[keep].min()), int(boxes.right[keep].max())
    if extend:
        left, right = _extended_ends(best, left, right)
    return TextLine(
        top=int(boxes.top[keep].min()),
        bottom=int(boxes.bottom[keep].max()),
        left=left,
        right=right,
        char_height=float(np.median(boxes.height[keep])),
        count=int(keep.sum()),
        angle=float(np.degrees(np.arctan(best.fit[0]))),
        dark_text=dark,
    )


def _rotate(image: Image, angle: float) -> Image:
    """Rotate `image` by `angle` degrees (counter-clockwise), edges replicated."""
    axes = (1, 0)
    out = ndimage.rotate(
        image, angle, axes=axes, reshape=False, order=1, mode="nearest"
    )
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def crop_text_region(
    image: Image,
    *,
    margin: float = 0.1,
    deskew: bool = True,
    min_chars: int = 3,
    extend: bool = False,
) -> Image:
    """Return the part of `image` that holds the plate characters.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
        A plate crop. Not modified.
    margin : float
        Border kept around the characters, as a fraction of their height (clipped to
        the image).
    deskew : bool
        When the character line is tilted by more than half a degree, rotate the
        image to level it before cropping.
    min_chars, extend
        Passed to :func:`find_text_line`.

    Returns
    -------
    crop : ndarray of float32
        A copy of the character region (same channel layout as `image`), or a copy of
        the whole image when :func:`find_text_line` finds no line.

    Raises
    ------
    ValueError
        If `margin` is negative, or as :func:`find_text_line`.

    Examples
    --------
    >>> import numpy as np
    >>> plate = np.ones((40, 120), np.float32)
    >>> for x in (20, 45, 70):
    ...     plate[10:30, x:x + 12] = 0.0
    >>> crop_text_region(plate, margin=0.0).shape
    (20, 62)
    """
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    line = find_text_line(image, min_chars=min_chars, extend=extend)
    if line is None:
        return image.copy()
    if deskew and abs(line.angle) > 0.5:
        rotated = _rotate(image, line.angle)
        level = find_text_line(rotated, min_chars=min_chars, extend=extend)
        if level is not None:
            image, line = rotated, level
    pad = int(round(margin * line.char_height))
    top, left = max(0, line.top - pad), max(0, line.left - pad)
    bottom = min(image.shape[0], line.bottom + pad)
    right = min(image.shape[1], line.right + pad)
    return image[top:bottom, left:right].copy()
