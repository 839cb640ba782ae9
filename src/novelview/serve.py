"""``novelview serve``: a local web page (Gradio Blocks) that turns a photo into new views.

Upload a photo (or pick a built-in example: renders of objects no shipped model saw), see the
prepared cut-out and any warnings, move the azimuth and elevation sliders to redraw the view, and
make a turntable GIF to download. Binds 127.0.0.1 unless told otherwise, sends no analytics, never
opens a public share link. Every problem with an upload or a model becomes a message in the page;
the server keeps serving. Gradio is an optional extra: ``pip install "novelview[serve]"``.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from novelview.errors import NovelviewError

EXAMPLES = Path(__file__).resolve().parent / "serve_examples"
VIEW_SCALE = 4  # the 64x64 views are shown 4x larger, pixel for pixel (nearest neighbour)
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000  # a 40-megapixel photo; larger ones would take seconds to prepare
INSTALL_HINT = 'the web app needs gradio: pip install "novelview[serve]"'


def model_choices() -> list[str]:
    """Every shipped model and its mirror-averaged form."""
    from novelview.models.io import shipped_names

    names = shipped_names()
    return [n for name in names for n in (name, f"{name}+mirror")]


@lru_cache(maxsize=4)
def _model(spec: str):
    from novelview.models.io import load_model

    return load_model(spec)


def elevation_range(spec: str) -> tuple[float, float]:
    """The elevations the model was trained at (one value for a fixed-elevation model)."""
    low, high = _model(spec).config.get("elevation_range", (0.0, 0.0)) or (0.0, 0.0)
    return float(low), float(high)


def _check_upload(path: str | None) -> Path:
    if not path:
        raise NovelviewError("no image yet: upload a photo of one object, or pick an example")
    path = Path(path)
    size = path.stat().st_size if path.is_file() else 0
    if size == 0:
        raise NovelviewError(f"{path.name} is empty (0 bytes): upload an image file that is not damaged")
    if size > MAX_UPLOAD_BYTES:
        raise NovelviewError(f"{path.name} is {size / 2**20:.0f} MB; upload an image under {MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        with Image.open(path) as img:
            pixels = img.width * img.height
    except Exception:  # whatever Pillow says about it, the reader below gives the one-line reason
        return path
    if pixels > MAX_UPLOAD_PIXELS:
        raise NovelviewError(f"{path.name} has {pixels / 1e6:.0f} megapixels; upload one under "
                             f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels (a smaller copy works as well)")
    return path


def _big(view: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(view).resize((view.shape[1] * VIEW_SCALE, view.shape[0] * VIEW_SCALE),
                                                   Image.NEAREST))


def _message(warnings: list[str], notices: list[str] | None = None) -> str:
    lines = [f"**warning:** {w}" for w in warnings] + [f"note: {n}" for n in notices or []]
    return "\n\n".join(lines) if lines else "cut-out looks clean."


def prepare_upload(path: str | None, spec: str, keep_background: bool = False):
    """-> (cut-out preview, model input shown large, state (the 64x64 input), message)."""
    from novelview.photo import prepare_photo

    try:
        model = _model(spec)
        size = int(model.config.get("image_size", 64))
        prepared = prepare_photo(_check_upload(path), size, keep_background=keep_background)
    except NovelviewError as exc:
        return None, None, None, f"**error:** {exc}"
    except Exception as exc:  # a page shows a message, never a traceback; the server keeps serving
        return None, None, None, f"**error:** could not prepare that image ({type(exc).__name__}: {exc})"
    return prepared.cutout_preview(), _big(prepared.image), prepared.image, _message(prepared.warnings, prepared.notices)


def draw_view(state, azimuth: float, elevation: float, spec: str):
    """One view of the prepared input: (image shown large, message or empty)."""
    from novelview.generate import generate_views

    if state is None:
        return None, "upload a photo or pick an example first"
    try:
        model = _model(spec)
        low, _ = elevation_range(spec)
        view = generate_views(model, np.asarray(state, np.uint8), [float(azimuth)], float(elevation), low)[0]
    except NovelviewError as exc:
        return None, f"**error:** {exc}"
    except Exception as exc:
        return None, f"**error:** could not draw that view ({type(exc).__name__}: {exc})"
    return _big(view), ""


def make_turntable(state, elevation: float, spec: str, frames: int = 36):
    """A looping GIF of a full turn: (its path, shown and downloadable; message)."""
    from novelview.generate import turntable, turntable_frames

    if state is None:
        return None, None, "upload a photo or pick an example first"
    try:
        model = _model(spec)
        low, _ = elevation_range(spec)
        fits = turntable_frames(model)  # a one-hot model draws fewer frames; the autoencoder none
        if fits is None:
            return None, None, (f"**error:** {spec} only turns by fixed steps and never by 0 degrees, so it "
                                "cannot make a turntable: move the azimuth slider, or pick the default model")
        views = turntable(model, np.asarray(state, np.uint8), min(frames, fits), float(elevation), low)
    except NovelviewError as exc:
        return None, None, f"**error:** {exc}"
    except Exception as exc:
        return None, None, f"**error:** could not make the turntable ({type(exc).__name__}: {exc})"
    frames_big = [Image.fromarray(_big(v)) for v in views]
    gif = Path(tempfile.mkdtemp(prefix="novelview_")) / "turntable.gif"
    frames_big[0].save(gif, save_all=True, append_images=frames_big[1:], duration=100, loop=0)
    return str(gif), str(gif), f"turntable: {len(views)} frames at elevation {float(elevation):g}"


def change_model(spec: str, state, azimuth: float, elevation: float):
    """A new model (shipped, +mirror, or a folder): the elevation slider's range, then a redraw."""
    import gradio as gr

    try:
        low, high = elevation_range(spec)
    except NovelviewError as exc:
        return gr.update(), None, f"**error:** {exc}"
    elevation = min(max(float(elevation), low), high)
    image, message = draw_view(state, azimuth, elevation, spec)
    return gr.update(minimum=low, maximum=max(high, low + 1e-6), value=elevation), image, message


def build_app(default_model: str = "default"):
    """The Blocks app (not launched)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio as gr
    except ImportError:
        raise NovelviewError(INSTALL_HINT) from None
    low, high = elevation_range(default_model)
    examples = sorted(str(p) for p in EXAMPLES.glob("*.png"))
    with gr.Blocks(analytics_enabled=False, title="novelview") as app:
        gr.Markdown("## novelview: one photo of an object in, any view out\nA photo of one object on a plain "
                    "background works best. The background is cut out and the object framed as in training.")
        state = gr.State(None)
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="photo", file_types=["image"], type="filepath", elem_id="upload")
                model = gr.Dropdown(model_choices(), value=default_model, allow_custom_value=True, elem_id="model",
                                    label="model (a shipped name, +mirror, or an export folder path)")
                keep = gr.Checkbox(False, label="keep the background (no cut-out)")
                gr.Examples(examples, inputs=upload, label="examples (objects no model saw)")
            with gr.Column():
                cutout = gr.Image(label="cut-out (removed part faded)", interactive=False, elem_id="cutout")
                prepared = gr.Image(label="model input", interactive=False, elem_id="prepared")
                message = gr.Markdown(elem_id="message")
            with gr.Column():
                view = gr.Image(label="new view", interactive=False, elem_id="view", format="png")
                azimuth = gr.Slider(0, 360, value=30, step=1, label="azimuth (degrees)", elem_id="azimuth")
                elevation = gr.Slider(low, max(high, low + 1e-6), value=low, step=1, label="elevation (degrees)",
                                      elem_id="elevation")
                button = gr.Button("make turntable GIF", elem_id="turntable")
                gif = gr.Image(label="turntable", interactive=False, type="filepath", elem_id="gif")
                download = gr.File(label="download the GIF", elem_id="download")
        redraw = dict(fn=draw_view, inputs=[state, azimuth, elevation, model], outputs=[view, message],
                      show_progress="hidden")
        hidden = dict(api_visibility="private")  # one public endpoint per action; the rest are the page's own
        prepare_args = (prepare_upload, [upload, model, keep], [cutout, prepared, state, message])
        upload.change(*prepare_args, api_name="prepare").then(**redraw, **hidden)
        keep.change(*prepare_args, **hidden).then(**redraw, **hidden)
        azimuth.change(trigger_mode="always_last", api_name="view", **redraw)
        elevation.change(trigger_mode="always_last", **redraw, **hidden)
        azimuth.release(**redraw, **hidden)
        model.change(change_model, [model, state, azimuth, elevation], [elevation, view, message], api_name="model")
        button.click(make_turntable, [state, elevation, model], [gif, download, message], api_name="turntable")
    return app


def serve(host: str = "127.0.0.1", port: int = 7860, default_model: str = "default", block: bool = True):
    """Build and launch the app on ``host``:``port`` (never shared); returns it when not blocking."""
    app = build_app(default_model)
    app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, share=False, inbrowser=False, prevent_thread_lock=not block,
        show_error=False, max_file_size=MAX_UPLOAD_BYTES, ssr_mode=False, quiet=not block)
    return app
