"""Labels that must not collide or be cut: the viewer's Before/After tags at low zoom."""

from __future__ import annotations

from desktop.viewer import PhotoViewer


def test_before_and_after_tags_show_only_where_they_fit_side_by_side(qtbot):
    viewer = PhotoViewer()
    qtbot.addWidget(viewer)
    needed = viewer.tag_width("Before") + viewer.tag_width("After")
    assert needed > 60
    assert not viewer.tags_fit(needed)  # the 11 % zoom case: "Afterfore"
    assert viewer.tags_fit(needed + 36) and viewer.tags_fit(800)
