"""The procedural categories beyond car, chair and mug: each builds, varies, stands the right way
up and faces +z."""

from __future__ import annotations

import numpy as np
import pytest

from novelview.data import procedural
from novelview.data.render import RenderSettings, Renderer

INDICES = range(8)


def _model(category: str, index: int):
    return procedural.make_model(category, 0, index)


@pytest.mark.parametrize("category", procedural.NEW_CATEGORIES)
def test_new_categories_build_well_formed_models(category):
    for index in INDICES:
        s = _model(category, index)
        assert s.vertices.dtype == np.float64 and np.isfinite(s.vertices).all()
        assert s.faces.min() >= 0 and s.faces.max() < len(s.vertices)
        assert s.corner_colors.shape == (len(s.faces), 3, 3)
        assert s.corner_colors.min() >= 0 and s.corner_colors.max() <= 1
        assert s.is_flat and s.lighting is None  # the plain look: flat colours, the settings' light
        assert np.ptp(s.vertices, axis=0).min() > 0.1  # a solid, not a sheet
        assert abs(s.vertices[:, 1].min()) < 0.5  # standing near the floor (airplanes hang a little below)


@pytest.mark.parametrize("category", procedural.NEW_CATEGORIES)
def test_new_categories_have_variety_and_are_seeded(category):
    shapes = {(len(_model(category, i).faces), tuple(np.round(np.ptp(_model(category, i).vertices, 0), 2)))
              for i in INDICES}
    assert len(shapes) >= 6  # different sub-kinds and proportions, not one shape in new colours
    settings = RenderSettings(size=16, azimuths=3, supersample=1)
    first, again = (Renderer(_model(category, 3), settings).render_all()[0] for _ in range(2))
    assert first.tobytes() == again.tobytes()
    assert procedural.make_model(category, 1, 3).vertices.tobytes() != _model(category, 3).vertices.tobytes()


def test_airplanes_are_long_along_z_with_the_nose_at_plus_z():
    for index in range(12):
        v = _model("airplane", index).vertices
        extent = np.ptp(v, axis=0)
        assert extent[2] > 1.5 * extent[1]  # longer than tall
        nose = v[v[:, 2].argmax()]
        assert abs(nose[0]) < 0.1 * extent[0] + 0.05  # the front-most point is on the centre line
        highest = v[v[:, 1].argmax()]
        assert highest[2] < 0  # the tail fin stands at the back (-z), so the nose is at +z


def test_sofas_are_wide_with_the_back_at_minus_z():
    wide = 0
    for index in range(8):
        v = _model("sofa", index).vertices
        extent = np.ptp(v, axis=0)
        wide += extent[0] > extent[2]  # a seat per person along x (one-seaters are armchairs)
        assert v[v[:, 1] > v[:, 1].max() - 0.05, 2].mean() < 0  # the top of the back is behind
    assert wide >= 5


def test_tables_carry_their_top_highest_and_bottles_stand_upright():
    for index in range(8):
        table = _model("table", index)
        top_y = table.vertices[:, 1].max()
        wide = table.vertices[table.vertices[:, 1] > top_y - 0.1]
        assert np.ptp(wide[:, 0]) > 0.6 * np.ptp(table.vertices[:, 0])  # the top spans the table
        bottle = _model("bottle", index).vertices
        extent = np.ptp(bottle, axis=0)
        assert extent[1] > extent[0] and abs(bottle[:, 0].max() + bottle[:, 0].min()) < 1e-6  # upright, round


def test_lamps_stand_on_their_base_and_rise():
    kinds = set()
    for index in range(12):
        v = _model("lamp", index).vertices
        extent = np.ptp(v, axis=0)
        assert v[:, 1].min() > -1e-9 and extent[1] > 0.3
        kinds.add(round(float(extent[1]), 1))
    assert len(kinds) >= 4  # desk, table, floor and arc lamps differ in height
