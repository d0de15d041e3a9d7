"""Tinct's desktop application and its command line."""
