"""Image intake for every common format, and the honest answer for blank images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from engine.images import MAX_SIDE, ImageError, check_uniform, fit_tiles, load_image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def scene(w=64, h=48) -> Image.Image:
    """Left half red, right half blue, top row white: orientation is visible."""
    a = np.zeros((h, w, 3), dtype=np.uint8)
    a[:, : w // 2] = (220, 20, 20)
    a[:, w // 2 :] = (20, 20, 220)
    a[:4] = 255
    return Image.fromarray(a)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF"])
def test_common_formats(fmt):
    rgb = load_image(encode(scene(), fmt))
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    assert rgb[24, 5, 0] > 150 and rgb[24, 60, 2] > 150


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to display
    rgb = load_image(encode(scene(), "JPEG", exif=exif.tobytes()))
    assert rgb.shape == (64, 48, 3)  # upright: width and height swapped
    assert rgb[5, 24].min() < 150 and rgb[2, 46].min() > 200  # the white top row is now on the right


def test_alpha_is_composited_on_white():
    rgba = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (0, 0, 255, 255))
    rgb = load_image(encode(rgba, "PNG"))
    assert tuple(rgb[5, 5]) == (255, 255, 255) and tuple(rgb[0, 0]) == (0, 0, 255)


@pytest.mark.parametrize("mode", ["P", "LA", "L", "1", "CMYK", "I;16"])
def test_modes_become_rgb(mode):
    base = scene()
    if mode == "I;16":
        values = np.asarray(base.convert("L"), dtype=np.uint16) * 257
        image = Image.fromarray(values)  # a 16-bit greyscale image
        assert image.mode.startswith("I;16")
        data = encode(image, "PNG")
    else:
        image = base.convert(mode)
        data = encode(image, "JPEG" if mode == "CMYK" else "PNG")
    rgb = load_image(data)
    assert rgb.shape == (48, 64, 3)
    assert rgb[2, 10].min() > 200  # the white row survives every conversion


def test_animation_gives_first_frame():
    frames = [Image.new("RGB", (20, 20), c) for c in ((250, 0, 0), (0, 250, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    rgb = load_image(buf.getvalue())
    assert rgb[10, 10, 0] > 200 and rgb[10, 10, 1] < 50


def test_decompression_bomb_is_refused():
    data = encode(Image.new("1", (9000, 8000)), "PNG")  # 72 Mpx, a few kilobytes
    with pytest.raises(ImageError, match="too large to open safely"):
        load_image(data)


def test_huge_image_is_scaled_down():
    rgb = load_image(encode(Image.new("RGB", (6000, 1000), (10, 200, 10)), "PNG"))
    assert max(rgb.shape[:2]) == MAX_SIDE and rgb.shape[1] / rgb.shape[0] == pytest.approx(6, rel=0.01)


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"%PDF-1.7 this is a document", "not an image"),
    (b"just some text, not an image at all", "not an image"),
])
def test_non_images(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_truncated_image():
    data = encode(Image.effect_noise((256, 256), 50).convert("RGB"), "PNG")
    with pytest.raises(ImageError, match="damaged or incomplete"):
        load_image(data[: len(data) // 2])


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


@pytest.mark.parametrize("colour,phrase", [
    ((0, 0, 0), "completely black"),
    ((6, 6, 6), "completely black"),
    ((255, 255, 255), "white or blank"),
    ((40, 90, 160), "single flat colour (red 40, green 90, blue 160)"),
])
def test_uniform_images_are_recognised(colour, phrase):
    rgb = np.zeros((300, 500, 3), dtype=np.uint8) + np.array(colour, dtype=np.uint8)
    rgb = (rgb.astype(int) + np.random.default_rng(0).integers(-1, 2, rgb.shape)).clip(0, 255).astype(np.uint8)
    result = check_uniform(rgb)
    assert result.is_uniform
    assert phrase in result.describe()


def test_real_content_is_not_uniform():
    rgb = np.asarray(scene())
    assert not check_uniform(rgb).is_uniform
    dark_text = np.zeros((100, 300, 3), dtype=np.uint8)
    dark_text[40:60, 20:280:7] = 200  # white text on a black screen
    assert not check_uniform(dark_text).is_uniform


@pytest.mark.parametrize("size,tiles,expect_max_side", [((1920, 1080), 1, 448), ((300, 200), 1, 300)])
def test_fit_tiles_one_tile(size, tiles, expect_max_side):
    out = fit_tiles(np.zeros((size[1], size[0], 3), dtype=np.uint8), tiles)
    assert max(out.shape[:2]) == expect_max_side


def test_fit_tiles_budget():
    out = fit_tiles(np.zeros((1080, 1920, 3), dtype=np.uint8), 4)
    assert out.shape[0] * out.shape[1] <= 4 * 448 * 448
    assert out.shape[1] / out.shape[0] == pytest.approx(1920 / 1080, rel=0.01)


def test_fit_tiles_lets_go_of_the_full_image_before_scaling_and_scales_the_same():
    """The worker drops its full-size copy once PIL holds one (its peak memory); the pixels must not change."""
    import weakref

    rgb = np.random.default_rng(0).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    held = {"image": rgb.copy()}
    alive_at_let_go = []

    def let_go():
        ref = weakref.ref(held.pop("image"))
        alive_at_let_go.append(ref() is not None)  # fit_tiles itself keeps no reference by then

    out = fit_tiles(held["image"], 4, let_go=let_go)
    assert alive_at_let_go == [False]
    assert np.array_equal(out, fit_tiles(rgb, 4))

    small = rgb[:300, :400]
    called = []
    assert fit_tiles(small, 4, let_go=lambda: called.append(1)) is small and called == []  # nothing to scale


def test_at_most_max_side_scales_like_the_loader():
    from engine.images import MAX_SIDE, at_most_max_side

    big = np.zeros((3024, 4032, 3), dtype=np.uint8)
    assert at_most_max_side(big).shape == (2016, MAX_SIDE, 3)
    small = np.zeros((1080, 1920, 3), dtype=np.uint8)
    assert at_most_max_side(small) is small
    tall = Image.new("RGB", (1000, 4000), (10, 200, 30))
    buffer = io.BytesIO()
    tall.save(buffer, format="PNG")
    loaded = load_image(buffer.getvalue())
    assert np.array_equal(at_most_max_side(np.asarray(tall)), loaded) and loaded.shape == (MAX_SIDE, 672, 3)


def test_a_float_image_with_nan_and_infinite_pixels_loads_without_warnings():
    import warnings

    from tests.hostile.files import float_tiff_with_nan_and_inf

    data = float_tiff_with_nan_and_inf()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rgb = load_image(data)
    assert rgb.shape == (48, 64, 3) and (rgb[..., 0] == rgb[..., 2]).all()
    values = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float64)
    finite = values[np.isfinite(values)]
    # the finite pixels keep their order, stretched over 0-255; NaN and -inf are darkest, +inf brightest
    expected = ((values[3:] - finite.min()) / (finite.max() - finite.min()) * 255).astype(np.uint8)
    assert np.abs(rgb[3:, :, 0].astype(int) - expected).max() <= 1
    assert rgb[0, 0, 0] == 0 and rgb[1, 1, 0] == 255 and rgb[2, 2, 0] == 0


def test_garbage_exif_costs_the_orientation_never_the_image_and_warns_nobody():
    import warnings

    from tests.hostile.files import jpeg_with_garbage_exif

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(jpeg_with_garbage_exif()).shape == (48, 64, 3)


def test_a_text_chunk_that_inflates_to_hundreds_of_megabytes_is_called_metadata_too_large():
    from tests.hostile.files import ztxt_bomb_png

    with pytest.raises(ImageError, match="metadata") as caught:
        load_image(ztxt_bomb_png(4))
    assert "too large" in str(caught.value) and "damaged" not in str(caught.value)


def test_an_empty_path_is_no_file_at_all():
    with pytest.raises(ImageError, match="No image file was named"):
        load_image("")
