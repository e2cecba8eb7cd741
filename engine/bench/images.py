"""Benchmark inputs of real sizes: two screenshots and two photos, drawn here."""

from __future__ import annotations

import numpy as np

BENCH_IMAGES = {
    "screen-1920x1080": ("screen", 1920, 1080),
    "screen-1366x768": ("screen", 1366, 768),
    "photo-640x480": ("photo", 640, 480),
    "photo-4032x3024": ("photo", 4032, 3024),
}
WORDS = ("Save", "Cancel", "File", "Edit", "View", "Settings", "Network", "Battery 85%", "Inbox (3)",
         "Meeting at 10:30", "report.txt", "Search", "Downloads", "Volume", "Wi-Fi connected")


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default()


def screen(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A desktop: a taskbar, two windows with title bars, text, buttons and an image area."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (width, height), (58, 110, 165))
    d = ImageDraw.Draw(img)
    font, small = _font(max(12, height // 60)), _font(max(10, height // 80))
    d.rectangle([0, height - 40, width, height], fill=(30, 30, 36))
    for i, word in enumerate(WORDS[:6]):
        d.text((60 + i * width // 8, height - 30), word, fill="white", font=small)
    for k, (x0, y0, x1, y1) in enumerate(((0.05, 0.06, 0.55, 0.8), (0.45, 0.2, 0.95, 0.9))):
        box = [int(x0 * width), int(y0 * height), int(x1 * width), int(y1 * height)]
        d.rectangle(box, fill=(246, 246, 246), outline=(90, 90, 90))
        d.rectangle([box[0], box[1], box[2], box[1] + 32], fill=(40, 70, 140))
        d.text((box[0] + 12, box[1] + 6), f"Window {k + 1} - {WORDS[k * 3]}", fill="white", font=font)
        for line, y in enumerate(range(box[1] + 50, box[3] - 60, max(18, height // 45))):
            text = " ".join(rng.choice(WORDS, size=4))
            d.text((box[0] + 16, y), f"{line + 1}. {text}", fill=(20, 20, 20), font=small)
        d.rounded_rectangle([box[2] - 130, box[3] - 50, box[2] - 20, box[3] - 14], radius=6, fill=(40, 110, 220))
        d.text((box[2] - 110, box[3] - 44), "OK", fill="white", font=font)
    return np.asarray(img)


def photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A photograph-like scene: smooth sky and ground gradients, soft blobs, sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = 0.55 * height
    sky = np.stack([110 + 60 * y / horizon, 160 + 40 * y / horizon, 235 - 20 * y / horizon], -1)
    ground = np.stack([70 + 40 * (y - horizon) / height, 120 + 30 * (y - horizon) / height, 60 + 0 * y], -1)
    image = np.where((y < horizon)[..., None], sky, ground)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, width), rng.uniform(horizon * 0.8, height), rng.uniform(0.03, 0.12) * width
        mask = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        image = image * (1 - mask) + rng.uniform(20, 230, 3) * mask
    image += rng.normal(0, 4, image.shape)
    return image.clip(0, 255).astype(np.uint8)


def make(name: str, seed: int = 0) -> np.ndarray:
    """The image as the app hands it to the engine: a screen capture at full size; a photo (a file,
    the clipboard) through the app's image loader, which scales it to at most MAX_SIDE."""
    from engine.images import at_most_max_side

    kind, width, height = BENCH_IMAGES[name]
    return screen(width, height, seed) if kind == "screen" else at_most_max_side(photo(width, height, seed))
