# Copyright (c) step_mm contributors. All rights reserved.
"""MediaPipe ``Pose`` graphs by track id, in this process or in a worker.

This module imports only the standard library, NumPy and MediaPipe, so that
:class:`step_mm.video.MediaPipePoseEstimator` can run it as a separate
worker process (``python -P this_file.py FD_IN FD_OUT``) without loading
torch or the caller's main module. Messages are pickled over two pipes.
"""
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np

MEDIAPIPE_HINT = ('the MediaPipe pose backend needs mediapipe==0.10.21 '
                  '(installed by `make venv`, requirements/video.txt)')


def import_mediapipe():
    """Import ``mediapipe`` or raise one clear ImportError."""
    try:
        import mediapipe
        return mediapipe
    except ImportError as e:
        raise ImportError(f'{MEDIAPIPE_HINT}: {e}') from e


class PoseGraphs:
    """MediaPipe ``Pose`` graphs by track id, reused across tracks (they
    are slow to build: about 0.2 s each)."""

    def __init__(self, **pose_kwargs) -> None:
        self._mp = import_mediapipe()
        self.pose_kwargs = pose_kwargs
        self._graphs: Dict[int, object] = {}
        self._free: List[object] = []

    def process(self, track_id: int, img: np.ndarray
                ) -> Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """World landmarks ``(33, 3)``, crop-normalised image landmarks
        ``(33, 2)`` and visibility ``(33,)`` of one RGB crop, or None."""
        g = self._graphs.get(track_id)
        if g is None:
            g = self._free.pop() if self._free else \
                self._mp.solutions.pose.Pose(**self.pose_kwargs)
            self._graphs[track_id] = g
        res = g.process(img)
        if res.pose_world_landmarks is None or res.pose_landmarks is None:
            return None
        world = np.array([(p.x, p.y, p.z)
                          for p in res.pose_world_landmarks.landmark],
                         np.float32)
        lm = res.pose_landmarks.landmark
        image = np.array([(p.x, p.y) for p in lm], np.float32)
        vis = np.array([p.visibility for p in lm], np.float32)
        return world, image, vis

    def release(self, track_id: int) -> None:
        """Keep the graph of an ended track for the next new one."""
        g = self._graphs.pop(track_id, None)
        if g is not None:
            self._free.append(g)

    def close(self) -> None:
        """Close every graph."""
        for g in list(self._graphs.values()) + self._free:
            g.close()
        self._graphs, self._free = {}, []


def serve(conn_in, conn_out) -> None:
    """Answer ``init``/``estimate``/``release``/``close`` messages."""
    graphs = None
    try:
        while True:
            cmd, arg = conn_in.recv()
            if cmd == 'init':
                graphs = PoseGraphs(**arg)
                conn_out.send(('ok', None))
            elif cmd == 'estimate':
                conn_out.send(('ok', [(tid, graphs.process(tid, img))
                                      for tid, img in arg]))
            elif cmd == 'release':
                graphs.release(arg)
            else:
                break
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    except Exception as e:  # noqa: BLE001 - reported to the parent
        conn_out.send(('error', f'{type(e).__name__}: {e}'))
    finally:
        if graphs is not None:
            graphs.close()


if __name__ == '__main__':
    from multiprocessing.connection import Connection
    serve(Connection(int(sys.argv[1]), writable=False),
          Connection(int(sys.argv[2]), readable=False))
