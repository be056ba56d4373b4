"""wbtip-pipeline: a living assessment of counter-trafficking efforts in the Western Balkans."""

__version__ = "0.1.0"
