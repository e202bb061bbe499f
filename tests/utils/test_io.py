# Copyright (c) step_mm contributors. All rights reserved.
import json

import pytest

from step_mm.utils import (atomic_path, dump_json, replace_marked_block,
                           write_text)


def test_write_text_and_dump_json(tmp_path):
    path = str(tmp_path / 'r' / 'x.json')
    dump_json(dict(a=1), path)
    assert json.load(open(path)) == dict(a=1)
    assert open(path).read().endswith('}\n')
    write_text(path, 'new')
    assert open(path).read() == 'new'
    assert [p.name for p in (tmp_path / 'r').iterdir()] == ['x.json']


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    path = tmp_path / 'x.txt'
    path.write_text('old')
    with pytest.raises(RuntimeError, match='disk full'):
        with atomic_path(str(path)) as tmp:
            open(tmp, 'w').write('half')
            raise RuntimeError('disk full')
    assert path.read_text() == 'old'
    assert [p.name for p in tmp_path.iterdir()] == ['x.txt']


def test_replace_marked_block(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text('a\n<!-- t:start -->\nSTALE\n<!-- t:end -->\nb\n')
    replace_marked_block(str(readme), 't', '| x |\n')
    text = readme.read_text()
    assert text == 'a\n<!-- t:start -->\n| x |\n<!-- t:end -->\nb\n'
    replace_marked_block(str(readme), 't', '| x |')  # idempotent
    assert readme.read_text() == text
    with pytest.raises(ValueError, match='markers'):
        replace_marked_block(str(readme), 'other', 'y')
    replace_marked_block(str(readme), 'other', 'y', append=True)
    assert readme.read_text() == (text.rstrip('\n') + '\n\n<!-- other:start'
                                  ' -->\ny\n<!-- other:end -->\n')
    new = tmp_path / 'new.md'
    replace_marked_block(str(new), 't', 'z', append=True)
    assert new.read_text() == '<!-- t:start -->\nz\n<!-- t:end -->\n'
