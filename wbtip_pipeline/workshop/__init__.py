"""The regional validation workshop: the presentation pack (`pack.py`). The completed feedback
forms come back through `sources/feedback.py` and `transforms/recommendation_status.py`."""

from wbtip_pipeline.workshop.pack import WorkshopPack, render_workshop_pack, write_feedback_form

__all__ = ["WorkshopPack", "render_workshop_pack", "write_feedback_form"]
