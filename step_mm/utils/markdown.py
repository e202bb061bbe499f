# Copyright (c) step_mm contributors. All rights reserved.
"""GitHub markdown tables of the benchmarks' results."""
from typing import Iterable, List, Sequence

__all__ = ['markdown_row', 'markdown_table', 'mean_pm_std']


def markdown_row(cells: Sequence) -> str:
    """One table line, ``| a | b |``.

    Args:
        cells (Sequence): The cells, written with ``str``.

    Returns:
        str: The line.
    """
    return '| ' + ' | '.join(map(str, cells)) + ' |'


def markdown_table(header: Sequence[str],
                   rows: Iterable[Sequence]) -> List[str]:
    """The lines of a table: the header, ``|---|---|`` and the rows.

    Args:
        header (Sequence[str]): Column names.
        rows (Iterable[Sequence]): The rows' cells, as many as the header's.

    Returns:
        list[str]: The table's lines.

    Examples:
        >>> markdown_table(['model', 'top-1'], [['step', 0.6]])
        ['| model | top-1 |', '|---|---|', '| step | 0.6 |']
    """
    lines = [markdown_row(header), '|' + '---|' * len(header)]
    for cells in rows:
        if len(cells) != len(header):
            raise ValueError(f'a row of {len(cells)} cells in a table of '
                             f'{len(header)} columns: {list(cells)}')
        lines.append(markdown_row(cells))
    return lines


def mean_pm_std(mean: float, std: float, digits: int = 3) -> str:
    """``'0.612 ± 0.071'``: a mean and its standard deviation.

    Args:
        mean (float): The mean.
        std (float): The standard deviation.
        digits (int): Decimals of both. Defaults to 3.

    Returns:
        str: The two numbers joined by ``±``.
    """
    return f'{mean:.{digits}f} ± {std:.{digits}f}'
