"""Rendering of the final report: disclosure control, charts, template context, HTML and PDF."""
