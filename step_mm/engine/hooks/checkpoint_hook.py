# Copyright (c) step_mm contributors. All rights reserved.
"""mmengine's ``CheckpointHook``, made safe against kills and empty resumes.
"""
import glob
import json
import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import List, Optional

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook

from ..errors import RunConfigError

#: Suffix of a checkpoint being written; renamed away once complete.
PART_SUFFIX = '.part'


class _DeferredRemoval:
    """A file backend whose ``remove``/``rmtree`` only record the path."""

    def __init__(self, backend, removed: List[str]) -> None:
        self._backend = backend
        self._removed = removed

    def remove(self, path) -> None:
        self._removed.append(str(path))

    def rmtree(self, path) -> None:
        self._removed.append(str(path))

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that never leaves a half-written checkpoint in
    place of a good one, and never resumes from nothing silently.

    mmengine's hook (0.10.x) writes each checkpoint in place and removes
    the outdated one (``max_keep_ckpts``) and the previous best *before*
    writing the new one, so a kill while saving can leave only a truncated
    file. This hook, with the same arguments:

    - writes every checkpoint to ``<name>.part`` beside its final name and
      renames it (atomic on POSIX) once complete;
    - removes outdated and previous-best checkpoints only after the new
      checkpoint is complete (a kill in between leaves one file too many,
      never one too few);
    - removes ``*.pth.part`` files left by a killed run before training;
    - with ``resume=True`` (``tools/train.py --resume``) and no checkpoint
      to resume from, raises :class:`RunConfigError` when the work dir holds
      a previous run that trained (mmengine would log "Auto resumed from the
      latest checkpoint None" and start over), and when ``last_checkpoint``
      names a file that is not there.

    Non-local storage backends are written as mmengine writes them.

    Example:
        >>> default_hooks = dict(checkpoint=dict(
        ...     type='SafeCheckpointHook', interval=1, max_keep_ckpts=2))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._depth = 0

    # -- resume ---------------------------------------------------------
    def before_run(self, runner) -> None:
        """Refuse ``resume=True`` when there is nothing to resume but a
        previous run trained in the work dir.

        Args:
            runner (Runner): The runner.
        """
        super().before_run(runner)
        if not getattr(runner, '_resume', False) or getattr(
                runner, '_load_from', None) is not None:
            return
        work_dir = runner.work_dir
        record = osp.join(work_dir, 'last_checkpoint')
        present = sorted(
            osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth')))
        if osp.isfile(record):
            with open(record) as f:
                named = f.read().strip()
            if named and osp.isfile(named):
                return  # mmengine resumes from it
            raise RunConfigError(
                f'--resume: {record} names {named or "nothing (it is empty)"}'
                f', which is not a file; checkpoints in the work dir: '
                f'{present or "none"}. Pass one with --resume PATH (resume='
                'True, load_from=PATH), or run without --resume to start '
                'over')
        trained = _previous_training(work_dir, runner.log_dir)
        if trained is None:
            return  # a fresh work dir: nothing is lost by starting
        every = f'every {self.interval} ' + ('epochs' if self.by_epoch else
                                             'iterations')
        others = f'; only {present}' if present else ''
        raise RunConfigError(
            f'--resume: nothing to resume in {work_dir}: it holds no '
            f'checkpoint to resume from (no last_checkpoint{others}), but a '
            f'previous run there ({trained}) trained '
            f'before it was stopped; checkpoints are saved {every} '
            '(default_hooks.checkpoint.interval) and it stopped before the '
            'first. Resuming would silently start over: run without '
            '--resume to start over, and lower default_hooks.checkpoint.'
            'interval to lose less next time')

    # -- safe writing ---------------------------------------------------
    def before_train(self, runner) -> None:
        """Set up as mmengine does, then remove leftover ``.part`` files.

        Args:
            runner (Runner): The runner.
        """
        super().before_train(runner)
        if not is_main_process() or not isinstance(self.file_backend,
                                                   LocalBackend):
            return
        for path in glob.glob(osp.join(self.out_dir, '*.pth' + PART_SUFFIX)):
            os.remove(path)
            runner.logger.warning(
                f'removed {path}, a checkpoint a killed run did not finish')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        with self._safely(runner):
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._safely(runner):
            super()._save_best_checkpoint(runner, metrics)

    @contextmanager
    def _safely(self, runner):
        """Within: writes are atomic, removals wait until the end; on an
        error nothing is removed."""
        if self._depth or not isinstance(self.file_backend, LocalBackend):
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        backend, removed, written = self.file_backend, [], []
        save = runner.save_checkpoint
        patched = vars(runner).get('save_checkpoint')  # normally None

        def atomic_save(out_dir, filename, *args, **kwargs):
            final = osp.join(out_dir, filename)
            save(out_dir, filename + PART_SUFFIX, *args, **kwargs)
            if is_main_process():  # only the main process writes
                with open(final + PART_SUFFIX, 'rb+') as f:
                    os.fsync(f.fileno())  # on disk before it replaces
                os.replace(final + PART_SUFFIX, final)
            written.append(osp.abspath(final))

        self.file_backend = _DeferredRemoval(backend, removed)
        runner.save_checkpoint = atomic_save
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.file_backend = backend
            if patched is None:
                del runner.save_checkpoint  # back to the class's method
            else:
                runner.save_checkpoint = patched
        for path in removed:
            if osp.abspath(path) in written:
                continue  # replaced by a complete file of the same name
            if backend.isfile(path):
                backend.remove(path)
            elif backend.isdir(path):
                backend.rmtree(path)


def _previous_training(work_dir: str,
                       own_log_dir: Optional[str]) -> Optional[str]:
    """Describe the last training logged in ``work_dir`` by another run.

    Args:
        work_dir (str): The work dir.
        own_log_dir (str, optional): The current run's log dir (skipped).

    Returns:
        str | None: E.g. ``'20240101_120000: 10 iterations, epoch 3'``, or
        None if no other run logged a training iteration.
    """
    found = None
    for run_dir in sorted(glob.glob(osp.join(work_dir, '*', ''))):
        run_dir = run_dir.rstrip(os.sep)
        if own_log_dir and osp.abspath(run_dir) == osp.abspath(own_log_dir):
            continue
        steps = _logged_train_steps(run_dir)
        if steps is not None:
            found = f'{osp.basename(run_dir)}: {steps}'
    return found


def _logged_train_steps(run_dir: str) -> Optional[str]:
    """Last training step of one run's logs (vis_data or text log)."""
    scalars = osp.join(run_dir, 'vis_data', 'scalars.json')
    last = None
    if osp.isfile(scalars):
        with open(scalars) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the kill
                if 'loss' in rec and 'step' in rec:
                    last = rec
    if last is not None:
        epoch = f', epoch {last["epoch"]}' if 'epoch' in last else ''
        return f'{last["step"]} iterations{epoch}'
    pattern = re.compile(r'(Epoch|Iter)\(train\)\s*\[(\d+)\]')
    for log in glob.glob(osp.join(run_dir, '*.log')):
        with open(log, errors='replace') as f:
            hits = pattern.findall(f.read())
        if hits:
            kind, value = hits[-1]
            return f'{kind.lower()} {value}'
    return None
