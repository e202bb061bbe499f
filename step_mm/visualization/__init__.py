# Copyright (c) step_mm contributors. All rights reserved.
"""Figures a person opens: gait animations and confusion matrices."""
from .confusion import confusion_matrix, load_dump, plot_confusion_matrix
from .gait_animation import (draw_gait_figure, render_gait_animation,
                             render_gait_frame)

__all__ = [
    'confusion_matrix', 'load_dump', 'plot_confusion_matrix',
    'draw_gait_figure', 'render_gait_animation', 'render_gait_frame'
]
