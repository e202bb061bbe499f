# Copyright (c) step_mm contributors. All rights reserved.
