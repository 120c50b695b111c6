"""An outside restorer for the bench's ``cmd:`` candidates: any program will do.

Reads every image in IN_DIR and writes a restored copy of the same name to OUT_DIR:
Richardson-Lucy deconvolution (scikit-image) with a generic Gaussian PSF, per colour
channel. It knows nothing of this project; it stands in for your own method, e.g. a
PyTorch model behind the same two-folder interface. Judge it with::

    bench run --suite smoke --candidates default \\
        --candidates 'rl=cmd:python benchmarks/outside_restorer.py {in} {out}'
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.restoration import richardson_lucy


def _gaussian_psf(sigma: float) -> np.ndarray:
    radius = int(3 * sigma)
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    return kernel / kernel.sum()


def restore(image: np.ndarray, *, sigma: float, iterations: int) -> np.ndarray:
    """Deconvolve a float image in [0, 1], (H, W) or (H, W, C)."""
    psf = _gaussian_psf(sigma)
    channels = image[..., None] if image.ndim == 2 else image
    out = np.stack(
        [richardson_lucy(channels[..., c], psf, num_iter=iterations, clip=True)
         for c in range(channels.shape[-1])],
        axis=-1,
    )  # fmt: skip
    return out[..., 0] if image.ndim == 2 else out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("in_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sigma", type=float, default=1.5)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    for path in sorted(args.in_dir.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            continue
        image = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255
        restored = restore(image, sigma=args.sigma, iterations=args.iterations)
        pixels = np.clip(np.round(restored * 255), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(args.out_dir / path.name)


if __name__ == "__main__":
    main()
