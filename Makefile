# step_mm: `make test` and `make demo` set up everything on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
EGAIT_ROOT ?= ../shared/data/egait
export EGAIT_ROOT

.PHONY: venv test demo clean

venv: $(STAMP)

# The pinned stack (see README "Installation" for why each pin exists), then
# mmaction2 / mmpose / mediapipe without their declared dependencies, then this package.
$(STAMP): setup.py requirements/*.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements/runtime.txt -r requirements/mmpose.txt -r requirements/tests.txt \
	    -r requirements/video.txt
	$(PIP) install -q --no-deps -r requirements/nodeps.txt -r requirements/video-nodeps.txt
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PY) -c "import step_mm, mmaction.models, mmpose.apis, mediapipe.python.solutions.pose; print('step_mm', step_mm.__version__, 'ready')"
	touch $(STAMP)

test: venv
	$(PY) -m pytest tests -q -p no:cacheprovider

demo: venv
	$(PY) tools/demo.py --data-root $(EGAIT_ROOT)

clean:
	rm -rf $(VENV) work_dirs
