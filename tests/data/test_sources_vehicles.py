"""The vehicle sources: TORCS cars (.acc body, wheels from the car's XML) and FlightGear aircraft
(the model its XMLs name, the livery, the class, the frame), on tiny layouts made here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from novelview.data.sources import list_models, load_model
from novelview.data.sources.registry import parse_source
from novelview.errors import NovelviewError

# TORCS writes a normal after each vertex, several texture lines and a UV pair per texture per ref;
# its surfaces are triangle strips (type 4). A 2 m x 1 m slab, 0.3 m to 0.8 m above the ground.
CAR_ACC = """AC3Db
MATERIAL "ac3dmat1" rgb 1.00 1.00 1.00 amb 1.00 1.00 1.00 emis 0.20 0.20 0.20 spec 0.50 0.50 0.50 shi 50 trans 0
OBJECT world
kids 1
OBJECT poly
name "BODY_s_0"
texture "car.rgb" base
texture "car.rgb" tiled
texture "car.rgb" skids
texture "car.rgb" shad
numvert 4
-1.0 0.8 -0.5 0 1 0
1.0 0.8 -0.5 0 1 0
-1.0 0.8 0.5 0 1 0
1.0 0.8 0.5 0 1 0
numsurf 1
SURF 0x34
mat 0
refs 5
0 0 0 0.5 0.5 0 0 0 0
1 1 0 0.5 0.5 0 0 0 0
2 0 1 0.5 0.5 0 0 0 0
3 1 1 0.5 0.5 0 0 0 0
3 1 1 0.5 0.5 0 0 0 0
kids 0
"""
WHEEL = """  <section name="{side} Wheel">
    <attnum name="ypos" unit="m" val="{y}"/>
    <attnum name="rim diameter" unit="in" val="15.0"/>
    <attnum name="tire width" unit="mm" val="200"/>
    <attnum name="tire height-width ratio" val=".50"/>
  </section>
"""
CAR_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE params SYSTEM "../../params.dtd">\n'
           '<params name="Tiny Racer" type="template">\n'
           '  <section name="Graphic Objects"><attstr name="env" val="mycar.acc"/></section>\n'
           '  <section name="Front Axle"><attnum name="xpos" val="1.2"/></section>\n'
           '  <section name="Rear Axle"><attnum name="xpos" val="-1.1"/></section>\n'
           + "".join(WHEEL.format(side=side, y=y) for side, y in
                     (("Front Right", -0.7), ("Front Left", 0.7), ("Rear Right", -0.75), ("Rear Left", 0.75)))
           + "</params>\n")


def _car(root, xml=CAR_XML):
    car = root / "mycar"
    car.mkdir(parents=True)
    (car / "mycar.acc").write_text(CAR_ACC)
    (car / "mycar.xml").write_text(xml)
    Image.new("RGB", (4, 4), (0, 90, 200)).save(car / "car.rgb", format="SGI")
    (car / "readme.txt").write_text("Copyright 2001 Ada Lovelace\n")
    return root


def test_a_torcs_car_gets_its_four_wheels_where_its_xml_puts_them(tmp_path):
    (ref,) = list_models(f"torcs:{_car(tmp_path / 'cars')}")
    assert ref.info["licence"] == "Free Art Licence or GPL-2+" and ref.info["creator"] == "Ada Lovelace"
    loaded = load_model(ref)
    assert loaded.texturing == "textured", loaded.notices
    vertices = loaded.surface.vertices  # our frame: y up, front +z, the car's left +x
    radius = 15 * 0.0254 / 2 + 0.2 * 0.5
    for forward, left in ((1.2, -0.7), (1.2, 0.7), (-1.1, -0.75), (-1.1, 0.75)):
        for side in (-0.1, 0.1):  # the wheel's two hub centres, half a tyre width either side
            gaps = np.linalg.norm(vertices - [left + side, radius, forward], axis=1)
            assert gaps.min() < 1e-9, (forward, left, side)
    assert vertices[:, 1].min() == pytest.approx(0.0, abs=1e-9)  # the tyres stand on the ground
    assert len(loaded.surface.faces) == 2 + 4 * 8 * 32  # the strip's two triangles; per wheel: tread, 2 walls, 2 discs


def test_torcs_wheels_wear_the_cars_wheel_picture_and_say_when_it_is_missing(tmp_path):
    from novelview.data.render import sample_bilinear

    root = _car(tmp_path / "cars")
    (ref,) = list_models(f"torcs:{root}")
    assert any("tex-wheel.rgb" in message for _, message in load_model(ref).notices)  # plain wheels, said
    picture = Image.new("RGBA", (8, 8), (0, 0, 255, 255))
    picture.paste((255, 0, 0, 255), (0, 0, 4, 4))  # the standing wheel: the top-left quarter
    picture.save(root / "mycar" / "tex-wheel.rgb", format="SGI")
    surface = load_model(ref).surface
    wheel_faces = surface.face_texture == len(surface.textures) - 1  # the last wheel added
    texture = surface.textures[-1]
    hub_uv = surface.corner_uv[wheel_faces].reshape(-1, 2)
    assert np.allclose(hub_uv.min(axis=0), [0.005, 0.505], atol=1e-3)  # the sides map into that quarter
    assert np.allclose(hub_uv.max(axis=0), [0.495, 0.995], atol=1e-3)
    assert np.allclose(sample_bilinear(texture, np.array([[0.25, 0.75]])), [[1.0, 0.0, 0.0]], atol=1e-6)


def test_a_torcs_xml_that_declares_entities_is_refused_with_the_reason(tmp_path):
    laughs = CAR_XML.replace('<!DOCTYPE params SYSTEM "../../params.dtd">',
                             '<!DOCTYPE params [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>')
    (ref,) = list_models(f"torcs:{_car(tmp_path / 'cars', laughs)}")
    with pytest.raises(ValueError, match="entities"):
        load_model(ref)


def _aircraft(root):
    """ROOT/jet: fallback entry -> jet-default.xml -> include jet-main.xml -> Models/jet.ac; its
    skin lives in the livery folder the default XML names, not beside the model."""
    jet = root / "jet"
    (jet / "Models").mkdir(parents=True)
    (jet / "Textures" / "blue").mkdir(parents=True)
    (root / "fallback_models.xml").write_text(
        '<?xml version="1.0"?>\n<PropertyList>\n<model n="503" type="string">AI/Aircraft/jet/jet-default.xml</model>\n'
        "</PropertyList>\n")
    (jet / "jet-default.xml").write_text('<PropertyList include="jet-main.xml">\n'
                                         "<texture-path>Textures/blue</texture-path>\n</PropertyList>\n")
    (jet / "jet-main.xml").write_text("<PropertyList><description>Tiny Jet</description><author>Orville</author>"
                                      "<path>Models/jet.ac</path></PropertyList>\n")
    Image.new("RGB", (4, 4), (0, 0, 255)).save(jet / "Textures" / "blue" / "skin.png")
    # FlightGear's file frame: nose at -x, up +y; a flat dart with its tip at x = -5 and a fin up to y = 2;
    # a "Chute" that FlightGear shows only on landing trails far behind
    (jet / "Models" / "jet.ac").write_text(
        'AC3Db\nMATERIAL "m" rgb 1 1 1  amb 1 1 1  emis 0 0 0  spec 0 0 0  shi 0  trans 0\nOBJECT world\nkids 2\n'
        'OBJECT poly\nname "body"\ntexture "skin.png"\nnumvert 4\n-5 0 0\n3 0 -2\n3 0 2\n3 2 0\nnumsurf 2\n'
        "SURF 0x10\nmat 0\nrefs 3\n0 0 0\n1 1 0\n2 1 1\nSURF 0x10\nmat 0\nrefs 3\n0 0 0\n1 1 0\n3 1 1\nkids 0\n"
        'OBJECT poly\nname "Chute"\nnumvert 3\n30 0 0\n40 0 3\n40 3 0\nnumsurf 1\n'
        "SURF 0x10\nmat 0\nrefs 3\n0 0 0\n1 1 0\n2 1 1\nkids 0\n")
    return root


def test_a_flightgear_aircraft_comes_nose_front_upright_in_its_livery(tmp_path):
    (ref,) = list_models(f"flightgear:{_aircraft(tmp_path / 'Aircraft')}")
    assert ref.category == "combat jet" and ref.source == "flightgear"
    assert (ref.info["name"], ref.info["creator"], ref.info["licence"]) == ("Tiny Jet", "Orville", "GPL-2+")
    loaded = load_model(ref)
    assert loaded.texturing == "textured"  # the skin came from Textures/blue
    vertices = loaded.surface.vertices
    np.testing.assert_allclose(vertices[np.argmax(vertices[:, 2])], [0, 0, 5])  # the nose faces the front camera
    np.testing.assert_allclose(vertices[np.argmax(vertices[:, 1])], [0, 2, -3])  # the fin points up
    assert vertices[:, 2].min() == pytest.approx(-3)  # the chute is left out
    assert any("effect objects" in message for _, message in loaded.notices)


def test_vehicle_sources_name_their_package_or_a_bad_path(tmp_path):
    assert parse_source("flightgear:") == ("flightgear", "", "") and parse_source("torcs:") == ("torcs", "", "")
    for spec in (f"flightgear:{tmp_path / 'none'}", f"torcs:{tmp_path / 'none'}"):
        with pytest.raises(NovelviewError, match="not a folder"):
            list_models(spec)
    (tmp_path / "empty").mkdir()
    with pytest.raises(NovelviewError, match="apt-get install torcs-data"):
        list_models(f"torcs:{tmp_path / 'empty'}")
    with pytest.raises(NovelviewError, match="apt-get install flightgear-data-ai"):
        list_models(f"flightgear:{tmp_path / 'empty'}")
