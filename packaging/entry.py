"""The bundle's program: the same `cronium-desktop` command as an installed checkout.

Before anything else starts a process, the environment children inherit loses the bundle's
private library path (see engine/platform/linux.py), so a script's `python3` or `bash` loads the
system's libraries, not the ones shipped for the app. With `--cronium-launcher ROOT` the program is
the launcher of a run folders root (engine/executors/launcher.py), which the app starts.
"""

import os
import sys

if __name__ == "__main__":
    from cronium_desktop.engine.executors import launcher

    if sys.argv[1:2] == [launcher.BUNDLE_ARGUMENT]:  # the runs' launcher of a run folders root
        launcher.serve(sys.argv[2], *(float(value) for value in sys.argv[3:4]))
        sys.exit(0)
    from cronium_desktop.engine import platform

    clean = platform.current().child_environment()
    for name in [name for name in os.environ if name not in clean]:
        del os.environ[name]
    os.environ.update(clean)
    from cronium_desktop.cli import main

    sys.exit(main())
