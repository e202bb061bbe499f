# Copyright (c) step_mm contributors. All rights reserved.
"""Figures a person opens: gait animations and confusion matrices."""
from .confusion import confusion_matrix, load_dump, plot_confusion_matrix
from .gait_animation import (BODY_PART_COLORS, bone_part, draw_gait_frames,
                             render_gait_animation, render_gait_frame,
                             render_gait_grid, save_gif)

__all__ = [
    'confusion_matrix', 'load_dump', 'plot_confusion_matrix',
    'BODY_PART_COLORS', 'bone_part', 'draw_gait_frames', 'save_gif',
    'render_gait_animation', 'render_gait_frame', 'render_gait_grid'
]
