from cronium_desktop.cli import main

raise SystemExit(main())
