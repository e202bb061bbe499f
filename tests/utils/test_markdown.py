# Copyright (c) step_mm contributors. All rights reserved.
import pytest

from step_mm.utils.markdown import markdown_row, markdown_table, mean_pm_std


def test_markdown_table_lines():
    lines = markdown_table(('model', 'top-1', 'runs'),
                           [('step', mean_pm_std(0.6125, 0.07), 30),
                            ('stgcn', '-', 3)])
    assert lines == [
        '| model | top-1 | runs |', '|---|---|---|',
        '| step | 0.613 ± 0.070 | 30 |', '| stgcn | - | 3 |'
    ]
    assert markdown_table(['a'], []) == ['| a |', '|---|']
    assert markdown_row([1, None, 'x']) == '| 1 | None | x |'


def test_markdown_table_refuses_ragged_rows():
    with pytest.raises(ValueError, match='2 cells in a table of 3 columns'):
        markdown_table('abc', [(1, 2)])


def test_mean_pm_std_digits():
    assert mean_pm_std(1 / 3, 0.05) == '0.333 ± 0.050'
    assert mean_pm_std(12.345, 1.5, digits=1) == '12.3 ± 1.5'
