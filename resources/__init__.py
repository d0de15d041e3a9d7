"""Tinct's shipped data: model weights with their cards, icons and sample photos."""
