"""The cut-out: a plain, gradient or shadowed backdrop comes off cleanly; a busy one, an object at
the edge, or nothing to cut out is said in one line that names the way out."""

from __future__ import annotations

import cv2
import numpy as np
from photo_helpers import busy, chair_like_mask, compose, disc_mask, iou, plain, vertical_gradient

from novelview.photo.cutout import clean_mask, cut_out


def test_a_disc_on_a_plain_backdrop_is_cut_out():
    truth = disc_mask(240, 320, 140, 130, 60)
    cut = cut_out(compose(truth, plain(240, 320)))
    assert iou(cut.alpha > 0.5, truth) > 0.95
    assert cut.warnings == []


def test_a_vertical_gradient_backdrop_is_modelled_not_cut_as_the_object():
    truth = disc_mask(300, 300, 170, 150, 70)
    cut = cut_out(compose(truth, vertical_gradient(300, 300), colour=(40, 160, 60)))
    assert iou(cut.alpha > 0.5, truth) > 0.95
    assert cut.warnings == []


def test_a_soft_cast_shadow_stays_background():
    h, w = 256, 256
    truth = disc_mask(h, w, 128, 110, 50)
    ground = plain(h, w, (220, 215, 205))
    shadow = np.zeros((h, w), np.float32)
    cv2.ellipse(shadow, (145, 162), (60, 12), 0, 0, 360, 1.0, -1)
    ground *= (1 - 0.4 * cv2.GaussianBlur(shadow, (0, 0), 5))[..., None]
    cut = cut_out(compose(truth, ground, colour=(60, 90, 200)))
    assert iou(cut.alpha > 0.5, truth) > 0.92


def test_the_gaps_between_a_chairs_legs_stay_open():
    truth = chair_like_mask(256, 256)
    cut = cut_out(compose(truth, plain(256, 256), colour=(90, 50, 20)))
    found = cut.alpha > 0.5
    assert iou(found, truth) > 0.85
    assert not found[100, 128], "the gap inside the chair's back is background"


def test_a_busy_backdrop_warns_with_the_ways_out():
    truth = disc_mask(200, 200, 100, 100, 50)
    cut = cut_out(compose(truth, busy(200, 200)))
    message = next(w for w in cut.warnings if "not plain enough" in w)
    assert "--mask FILE" in message and "--keep-background" in message and "\n" not in message
    assert "varies by" in message  # says how far off


def test_an_object_at_the_edge_and_an_empty_picture_warn():
    at_edge = disc_mask(200, 200, 190, 100, 40)
    assert any("touches the image edge (right)" in w for w in cut_out(compose(at_edge, plain(200, 200))).warnings)
    empty = cut_out(compose(np.zeros((200, 200), bool), plain(200, 200)))
    assert any("tiny" in w for w in empty.warnings)


def test_clean_mask_keeps_the_largest_part_and_what_touches_it_and_fills_holes():
    mask = disc_mask(100, 100, 50, 50, 30) & ~disc_mask(100, 100, 50, 50, 5)  # a ring: a hole in the middle
    mask |= disc_mask(100, 100, 50, 84, 2)  # a speck 1 px off the ring (rows 82-86; the ring ends at 80): kept
    mask |= disc_mask(100, 100, 5, 5, 3)  # a speck far away: dropped
    unlike_background = np.ones_like(mask)  # the hole does not look like the backdrop: filled
    cleaned = clean_mask(mask, unlike_background)
    assert cleaned[50, 50] and cleaned[84, 50] and not cleaned[5, 5]
    backdrop_hole = clean_mask(mask, np.zeros_like(mask))  # a hole that shows the backdrop stays open
    assert not backdrop_hole[50, 50]
