from posttool.runner.main import main

raise SystemExit(main())
